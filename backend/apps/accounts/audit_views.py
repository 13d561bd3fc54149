"""Audit log API: who may read which events, filters, paging, and a streamed JSON export.

Staff read every event; organization owners read the events of their organizations (role
changes, policy changes, API keys of their projects); anyone else gets 403.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from apps.accounts.audit import AuditAction, AuditEvent
from apps.accounts.permissions import ScopedApiKeyPermission
from apps.accounts.scopes import has_staff_reach
from apps.common.filters import IsoDateTimeFilter
from apps.common.ids import IdFilter, IdFilterSet
from apps.organizations.models import OrganizationMembership, OrganizationRole
from apps.scans.filters import CommaArrayWidget


def audit_event_list(*, user: Any) -> QuerySet[AuditEvent]:
    """The events `user` may read; PermissionDenied for users who may read none."""
    events = AuditEvent.objects.select_related("organization")
    if has_staff_reach(user):
        return events
    owned = OrganizationMembership.objects.filter(
        user=user, role=OrganizationRole.OWNER
    ).values_list("organization_id", flat=True)
    if not owned.exists():
        raise PermissionDenied("The audit log is for staff and organization owners.")
    return events.filter(organization_id__in=owned)


class AuditEventFilter(IdFilterSet):
    action = django_filters.MultipleChoiceFilter(
        choices=AuditAction.choices,
        widget=CommaArrayWidget,
        label="One or more actions (repeat the parameter or separate with commas).",
    )
    actor = IdFilter(field_name="actor_id")
    actor_username = django_filters.CharFilter(lookup_expr="iexact")
    organization = IdFilter(field_name="organization_id")
    since = IsoDateTimeFilter(field_name="at", lookup_expr="gte")
    until = IsoDateTimeFilter(field_name="at", lookup_expr="lt")

    class Meta:
        model = AuditEvent
        fields = ["action", "actor", "actor_username", "organization", "since", "until"]


class AuditEventOutputSerializer(serializers.ModelSerializer):
    organization_name = serializers.CharField(
        source="organization.name", default=None, allow_null=True, read_only=True
    )

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "action",
            "actor",
            "actor_username",
            "ip",
            "user_agent",
            "organization",
            "organization_name",
            "detail",
        ]
        read_only_fields = fields


def _export_rows(events: QuerySet[AuditEvent]) -> Iterator[str]:
    """A JSON array, one event at a time: memory stays flat however long the log."""
    yield "["
    for index, event in enumerate(events.iterator(chunk_size=1000)):
        row = dict(AuditEventOutputSerializer(event).data)
        yield ("," if index else "") + "\n" + json.dumps(row, default=str)
    yield "\n]\n"


@extend_schema(tags=["audit"])
class AuditEventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Security events: sign-ins and their failures, MFA changes, API keys, role changes.
    Filters: action (repeatable), actor, actor_username, organization, since/until."""

    permission_classes = [ScopedApiKeyPermission, IsAuthenticated]
    serializer_class = AuditEventOutputSerializer
    filterset_class = AuditEventFilter
    search_fields = ["actor_username", "action"]
    ordering_fields = ["at", "action", "actor_username"]
    ordering = ["-at", "-id"]

    def get_queryset(self) -> QuerySet[AuditEvent]:
        if getattr(self, "swagger_fake_view", False):
            return AuditEvent.objects.none()
        return audit_event_list(user=self.request.user)

    @extend_schema(
        responses={
            (200, "application/json"): OpenApiResponse(
                AuditEventOutputSerializer(many=True),
                description="Every event the list would show with the same filters, not paged.",
            )
        }
    )
    @action(detail=False, methods=["get"], pagination_class=None, renderer_classes=[JSONRenderer])
    def export(self, request: Request) -> StreamingHttpResponse:
        """Download the filtered events as one JSON array (streamed)."""
        events = self.filter_queryset(self.get_queryset())
        response = StreamingHttpResponse(_export_rows(events), content_type="application/json")
        day = f"{timezone.localdate():%Y-%m-%d}"
        response["Content-Disposition"] = f'attachment; filename="seculite-audit-{day}.json"'
        response["Cache-Control"] = "private, no-store"
        return response
