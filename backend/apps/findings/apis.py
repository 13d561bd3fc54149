"""Finding endpoints: the list across visible projects, detail, triage and history.

/findings/export/ downloads the list (same visibility, filters, search and ordering) as CSV,
JSON or SARIF, streamed; see apps.findings.exports and exports_sarif for the formats.

History and sightings are nested lists: /findings/{finding_pk}/events/ and
/findings/{finding_pk}/occurrences/. Everyone with a role in a finding's project reads;
members and owners triage (status, assignment, comments), one finding or many at once
(/findings/bulk/). Auditors get 403 on writes, people
without a role get 404.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.text import slugify
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import SearchFilter
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from apps.accounts.scopes import KeyScope
from apps.common.filters import ViewFilterSetBackend
from apps.common.pagination import CursorOrPagePagination
from apps.common.roles import ProjectRole
from apps.findings import services
from apps.findings.exports import (
    EXPORT_COLUMNS,
    EXPORT_FORMATS,
    LONG_TEXT_COLUMNS,
    findings_export,
)
from apps.findings.exports_sarif import SARIF_FINGERPRINT_KEY
from apps.findings.filters import (
    FINDING_SEARCH_FIELDS,
    FindingEventFilter,
    FindingFilter,
    FindingOccurrenceFilter,
    StableOrderingFilter,
)
from apps.findings.models import Finding, FindingEvent, FindingOccurrence
from apps.findings.selectors import (
    finding_assignable_users,
    finding_bulk_selection,
    finding_event_list,
    finding_export_project_name,
    finding_get_for_user,
    finding_list,
    finding_list_count,
    finding_occurrence_list,
)
from apps.findings.serializers import (
    FindingAssigneesSerializer,
    FindingAssignSerializer,
    FindingBulkResultSerializer,
    FindingBulkSerializer,
    FindingCommentSerializer,
    FindingDetailSerializer,
    FindingEventSerializer,
    FindingListSerializer,
    FindingOccurrenceSerializer,
    FindingStatusChangeSerializer,
)
from apps.projects.serializers import UserSummarySerializer

ID = OpenApiParameter("id", int, OpenApiParameter.PATH)
FINDING_PK = OpenApiParameter("finding_pk", int, OpenApiParameter.PATH, description="Finding id.")
EXPORT_FORMAT = OpenApiParameter(
    "format",
    str,
    enum=list(EXPORT_FORMATS),
    default="csv",
    description="csv (one row per finding), json (one JSON array) or sarif (SARIF 2.1.0, one "
    "run per tool).",
)
EXPORT_HELP = (
    "An attachment, streamed. csv: UTF-8, columns "
    + ", ".join(name for name, _ in EXPORT_COLUMNS)
    + "; a text cell starting with = + - @, a tab or a carriage return is prefixed with a "
    "single quote. json: one array of objects with the CSV's columns plus "
    + ", ".join(name for name, _ in LONG_TEXT_COLUMNS)
    + ". sarif: SARIF 2.1.0, one run per tool, SecuLite's fingerprint in partialFingerprints[\""
    + SARIF_FINGERPRINT_KEY
    + '"]. Snippets and evidence are never exported.'
)


class JSONErrorsNegotiation(BaseContentNegotiation):
    """Errors of the export answer in the API's JSON format whatever the client accepts, and
    its `format` parameter picks the file format instead of a DRF renderer."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        return next(iter(parsers), None)

    def select_renderer(
        self,
        request: Request,
        renderers: Iterable[BaseRenderer],
        format_suffix: str | None = None,
    ) -> tuple[BaseRenderer, str]:
        renderer = next(iter(renderers))
        return renderer, renderer.media_type


@extend_schema(tags=["findings"])
class FindingViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Findings of every project the caller can see (all projects for staff).

    The list pages by cursor (next/previous links) unless `page` is given; `count` is exact
    up to 10,000 matches and an estimate beyond (`count_exact`)."""

    scoped_key_access = {"list": KeyScope.READ, "retrieve": KeyScope.READ, "export": KeyScope.READ}

    queryset = Finding.objects.none()
    serializer_class = FindingListSerializer
    filter_backends = [ViewFilterSetBackend, SearchFilter, StableOrderingFilter]
    filterset_class = FindingFilter
    search_fields = FINDING_SEARCH_FIELDS
    ordering_fields = ["severity_rank", "last_seen_at", "first_seen_at", "status", "title", "id"]
    ordering = ["-severity_rank", "-id"]
    pagination_class = CursorOrPagePagination
    # Read by ScopedRateThrottle, which only the export action uses.
    throttle_scope = "findings_export"

    def get_queryset(self) -> QuerySet[Finding]:
        if getattr(self, "swagger_fake_view", False):
            return Finding.objects.none()
        return finding_list(user=self.request.user)

    def paginated_count(self, queryset: QuerySet[Finding]) -> tuple[int, bool]:
        """The total for the paginator: exact from the rollups where they apply."""
        filterset = getattr(self, "filterset", None)
        return finding_list_count(
            user=self.request.user,
            queryset=queryset,
            filters=filterset.form.cleaned_data if filterset is not None else None,
            search=self.request.query_params.get(api_settings.SEARCH_PARAM, ""),
        )

    def _finding(self, min_role: str = ProjectRole.AUDITOR) -> Finding:
        return finding_get_for_user(
            user=self.request.user, finding_id=self.kwargs["pk"], min_role=min_role
        )

    def _detail(self, finding: Finding) -> Response:
        return Response(FindingDetailSerializer(finding).data)

    @extend_schema(request=FindingBulkSerializer, responses=FindingBulkResultSerializer)
    @action(detail=False, methods=["post"], filter_backends=[], pagination_class=None)
    def bulk(self, request: Request) -> Response:
        """Triage many findings at once, by ids or by the list's filter: status (with a reason
        for false_positive and accepted_risk) and/or assignee. Members and owners of every
        affected project only; each finding that changes gets its history event."""
        data = FindingBulkSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        findings = finding_bulk_selection(
            user=request.user,
            request=request,
            ids=data.validated_data.get("ids"),
            filters=data.validated_data.get("filter"),
        )
        result = services.findings_bulk_triage(
            findings=findings,
            user=request.user,
            status=data.validated_data.get("status"),
            reason=data.validated_data["reason"],
            assignee_id=data.validated_data.get("assignee", services.KEEP),
            dismissal_reason=data.validated_data.get("dismissal_reason", ""),
            accepted_until=data.validated_data.get("accepted_until"),
        )
        return Response(FindingBulkResultSerializer(result).data)

    @extend_schema(
        operation_id="findings_bulk_assignees",
        request=FindingAssigneesSerializer,
        responses=UserSummarySerializer(many=True),
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="bulk/assignees",
        filter_backends=[],
        pagination_class=None,
    )
    def bulk_assignees(self, request: Request) -> Response:
        """Who the selected findings (ids, or the list's filter) can be assigned to: the
        active users with a role in every project among them, by username (empty when the
        selection spans more than 50 projects); with `any_project`, in any of them: whom the
        list's assignee filter offers."""
        data = FindingAssigneesSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        findings = finding_bulk_selection(
            user=request.user,
            request=request,
            ids=data.validated_data.get("ids"),
            filters=data.validated_data.get("filter"),
        )
        users = finding_assignable_users(
            findings=findings, any_project=data.validated_data["any_project"]
        )
        return Response(UserSummarySerializer(users, many=True).data)

    @extend_schema(
        operation_id="findings_export",
        parameters=[EXPORT_FORMAT],
        filters=True,
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=EXPORT_HELP),
            (200, "application/json"): OpenApiResponse(
                {"type": "array", "items": {"type": "object", "additionalProperties": {}}},
                description=EXPORT_HELP,
            ),
            (200, "application/sarif+json"): OpenApiResponse(
                {"type": "object", "additionalProperties": {}}, description=EXPORT_HELP
            ),
            400: OpenApiResponse(
                description="Unknown format or an invalid filter, in the API's error format."
            ),
        },
    )
    @action(
        detail=False,
        methods=["get"],
        pagination_class=None,
        renderer_classes=[JSONRenderer],
        content_negotiation_class=JSONErrorsNegotiation,
        throttle_classes=[ScopedRateThrottle],
    )
    def export(self, request: Request) -> StreamingHttpResponse:
        """Download every finding the list would show with the same filters, search and
        ordering (not paged), streamed as CSV, JSON or SARIF. Snippets and evidence are
        never exported."""
        name = request.query_params.get("format") or "csv"
        export_format = EXPORT_FORMATS.get(name)
        if export_format is None:
            raise ValidationError(
                {"format": [f'"{name[:50]}" is not a format; use {", ".join(EXPORT_FORMATS)}.']}
            )
        findings = self.filter_queryset(self.get_queryset())
        project_name = finding_export_project_name(
            user=request.user, project_id=request.query_params.get("project")
        )
        project_slug = slugify(project_name or "")[:60]
        day = f"{timezone.localdate():%Y-%m-%d}"
        stem = "-".join(part for part in ("seculite-findings", project_slug, day) if part)
        filename = f"{stem}.{export_format.extension}"
        response = StreamingHttpResponse(
            findings_export(findings, export_format=export_format),
            content_type=export_format.content_type,
        )
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        # Findings are sensitive: no shared cache keeps a copy.
        response["Cache-Control"] = "private, no-store"
        return response

    @extend_schema(parameters=[ID], responses=FindingDetailSerializer)
    def retrieve(self, request: Request, pk: Any = None) -> Response:
        return self._detail(self._finding())

    @extend_schema(
        parameters=[ID], request=FindingStatusChangeSerializer, responses=FindingDetailSerializer
    )
    @action(detail=True, methods=["post"], url_path="status", filter_backends=[])
    def change_status(self, request: Request, pk: Any = None) -> Response:
        """Triage: set the status, or dismiss with a reason in people's words (members and
        owners). A reason is required for false_positive and accepted_risk; an accepted risk
        may end on a day (`accepted_until`); auto_resolved is set by scans only."""
        finding = self._finding(ProjectRole.MEMBER)
        data = FindingStatusChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        finding = services.finding_status_change(
            finding=finding,
            user=request.user,
            status=data.validated_data.get("status"),
            reason=data.validated_data["reason"],
            dismissal_reason=data.validated_data.get("dismissal_reason", ""),
            accepted_until=data.validated_data.get("accepted_until"),
        )
        return self._detail(finding)

    @extend_schema(
        parameters=[ID], request=FindingAssignSerializer, responses=FindingDetailSerializer
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def assign(self, request: Request, pk: Any = None) -> Response:
        """Assign to a user with a role in the project, or unassign with null."""
        finding = self._finding(ProjectRole.MEMBER)
        data = FindingAssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        finding = services.finding_assign(
            finding=finding,
            user=request.user,
            assignee_id=data.validated_data["assignee"],
            due_date=data.validated_data.get("due_date", services.KEEP),
        )
        return self._detail(finding)

    @extend_schema(
        parameters=[ID],
        request=FindingCommentSerializer,
        responses={201: FindingEventSerializer},
    )
    @action(detail=True, methods=["post"], filter_backends=[])
    def comments(self, request: Request, pk: Any = None) -> Response:
        """Add a comment to the finding's history (members and owners)."""
        finding = self._finding(ProjectRole.MEMBER)
        data = FindingCommentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = services.finding_comment(
            finding=finding, user=request.user, comment=data.validated_data["comment"]
        )
        return Response(FindingEventSerializer(event).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["findings"], parameters=[FINDING_PK])
class FindingEventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """A finding's history (status changes, assignments, comments), oldest first."""

    queryset = FindingEvent.objects.none()
    serializer_class = FindingEventSerializer
    filterset_class = FindingEventFilter
    search_fields = ["comment", "from_value", "to_value", "actor__username"]
    ordering_fields = ["created_at"]
    ordering = ["created_at", "id"]

    def get_queryset(self) -> QuerySet[FindingEvent]:
        if getattr(self, "swagger_fake_view", False):
            return FindingEvent.objects.none()
        return finding_event_list(user=self.request.user, finding_id=self.kwargs["finding_pk"])


@extend_schema(tags=["findings"], parameters=[FINDING_PK])
class FindingOccurrenceViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The sighting ranges of a finding (seen at one location by every scan of a stream from
    the first to the last), the one seen last first."""

    queryset = FindingOccurrence.objects.none()
    serializer_class = FindingOccurrenceSerializer
    filterset_class = FindingOccurrenceFilter
    search_fields = ["file_path"]
    ordering_fields = ["seen_at", "last_seen_at", "line_start"]
    ordering = ["-last_scan_id", "-id"]

    def get_queryset(self) -> QuerySet[FindingOccurrence]:
        if getattr(self, "swagger_fake_view", False):
            return FindingOccurrence.objects.none()
        return finding_occurrence_list(user=self.request.user, finding_id=self.kwargs["finding_pk"])
