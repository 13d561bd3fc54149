"""Issue group endpoints: the grouped list, a group, its findings, and group triage.

/issue-groups/ lists the groups of every project the caller can see, worst first, by cursor
like the findings list, with every filter of the findings list (apps.findings.group_filters: a
group is listed when one of its findings matches); /issue-groups/{id}/findings/ lists a group's
findings; POST /issue-groups/{id}/triage/ changes every member (members and owners), each with
its own history event. People without a role in the group's project get 404, auditors 403 on
triage.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.scopes import KeyScope
from apps.common.ids import IdField
from apps.common.pagination import CursorOrPagePagination
from apps.common.roles import ProjectRole
from apps.findings.filters import FINDING_SEARCH_FIELDS, StableOrderingFilter
from apps.findings.group_filters import MemberFindingFilterBackend
from apps.findings.group_selectors import (
    issue_group_get_for_user,
    issue_group_list,
    issue_group_member_list,
)
from apps.findings.group_services import issue_group_triage
from apps.findings.models import IssueGroup
from apps.findings.serializers import (
    FindingBulkResultSerializer,
    FindingListSerializer,
    NamedRefSerializer,
    SettableFindingStatusField,
    SeverityField,
)
from apps.findings.services import KEEP

ID = OpenApiParameter("id", int, OpenApiParameter.PATH)


class IssueGroupSerializer(serializers.ModelSerializer):
    project = NamedRefSerializer(read_only=True)
    severity = SeverityField()
    tools = serializers.ListField(
        child=serializers.CharField(), help_text="Slugs of the tools whose findings agree."
    )
    status = serializers.CharField(
        help_text='The members\' status when they all share one, else "mixed".'
    )

    class Meta:
        model = IssueGroup
        fields = [
            "id", "project", "title", "severity", "severity_rank", "status", "is_open",
            "member_count", "open_count", "tools", "representative", "file_path",
            "line_start", "cwe", "package_name", "url", "last_seen_at",
        ]  # fmt: skip
        read_only_fields = fields


class IssueGroupTriageSerializer(serializers.Serializer):
    status = SettableFindingStatusField(
        required=False,
        error_messages={"invalid_choice": '"{input}" is not a status a person can set.'},
    )
    reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=5000,
        help_text="Why; required for false_positive and accepted_risk.",
    )  # fmt: skip
    assignee = IdField(
        required=False,
        allow_null=True,
        help_text="User id with a role in the project; null unassigns; leave out to keep.",
    )

    def validate(self, attrs: dict) -> dict:
        if "status" not in attrs and "assignee" not in attrs:
            raise serializers.ValidationError({"status": ["Give a status, an assignee or both."]})
        return attrs


class IssueGroupTriageResultSerializer(FindingBulkResultSerializer):
    group = IssueGroupSerializer()


@extend_schema(tags=["findings"])
class IssueGroupViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Issue groups: findings of different tools or rules about the same problem, worst first.

    Takes every filter of the findings list, `search` included: a group is listed when at
    least one of its findings is in the findings list with the same parameters (`status=open`
    and `status=closed`, the earlier switch, read as `state`). Pages by cursor (next/previous
    links) unless `page` is given, like the findings list."""

    scoped_key_access = {
        "list": KeyScope.READ,
        "retrieve": KeyScope.READ,
        "findings": KeyScope.READ,
    }

    queryset = IssueGroup.objects.none()
    serializer_class = IssueGroupSerializer
    filter_backends = [MemberFindingFilterBackend, StableOrderingFilter]
    # Searched in the groups' findings, as the findings list searches.
    search_fields = FINDING_SEARCH_FIELDS
    ordering_fields = ["severity_rank", "last_seen_at", "member_count", "id"]
    ordering = ["-severity_rank", "-id"]
    pagination_class = CursorOrPagePagination

    def get_queryset(self) -> QuerySet[IssueGroup]:
        if getattr(self, "swagger_fake_view", False):
            return IssueGroup.objects.none()
        return issue_group_list(user=self.request.user)

    @extend_schema(parameters=[ID], responses=IssueGroupSerializer)
    def retrieve(self, request: Request, pk: Any = None) -> Response:
        group = issue_group_get_for_user(user=request.user, group_id=pk)
        return Response(IssueGroupSerializer(group).data)

    @extend_schema(parameters=[ID], responses=FindingListSerializer(many=True), filters=False)
    @action(
        detail=True, methods=["get"], filter_backends=[], serializer_class=FindingListSerializer
    )
    def findings(self, request: Request, pk: Any = None) -> Response:
        """The group's findings, worst first."""
        members = issue_group_member_list(user=request.user, group_id=pk).order_by(
            "-severity_rank", "-id"
        )
        page = self.paginate_queryset(members)
        return self.get_paginated_response(FindingListSerializer(page, many=True).data)

    @extend_schema(
        parameters=[ID],
        request=IssueGroupTriageSerializer,
        responses=IssueGroupTriageResultSerializer,
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def triage(self, request: Request, pk: Any = None) -> Response:
        """Triage the group: the status (with a reason for false_positive and accepted_risk)
        and/or the assignee, applied to each member, each with its own history event."""
        group = issue_group_get_for_user(
            user=request.user, group_id=pk, min_role=ProjectRole.MEMBER
        )
        data = IssueGroupTriageSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = issue_group_triage(
            group=group,
            user=request.user,
            status=data.validated_data.get("status"),
            reason=data.validated_data["reason"],
            assignee_id=data.validated_data.get("assignee", KEEP),
        )
        group.refresh_from_db()
        payload = {
            **FindingBulkResultSerializer(result).data,
            "group": IssueGroupSerializer(group).data,
        }
        return Response(payload)
