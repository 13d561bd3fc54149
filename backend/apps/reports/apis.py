"""Reports API: request a project's or a scan's report, follow it, download it; schedules.

- POST /projects/{id}/reports/ (members and up) queues a project report → 202;
  GET lists the project's reports (auditors and up).
- POST /scans/{id}/report/ (members and up of the scan's project) queues a scan report → 202.
- GET /reports/{id}/ its status; GET /reports/{id}/download/ the file, as an attachment, with
  `nosniff` and, for HTML, a CSP that lets nothing in it run or load (auditors and up).
- /projects/{id}/report-schedules/ CRUD: auditors read, members and up (who edit scan
  configurations) write.

Project-scoped API keys with the `read` scope may list, read and download; requesting a report
or changing a schedule is a write no key scope grants (403).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.scopes import KeyScope
from apps.common.errors import ServiceError
from apps.common.roles import ProjectRole
from apps.common.viewsets import ProjectScopedViewSet
from apps.projects.selectors import project_get_for_user
from apps.reports.models import Report, ReportFormat, ReportSchedule, ReportStatus
from apps.reports.rendering import absolute_path
from apps.reports.schedules import (
    report_schedule_create,
    report_schedule_delete,
    report_schedule_update,
)
from apps.reports.selectors import (
    report_get_for_user,
    report_list,
    report_schedule_get,
    report_schedule_list,
)
from apps.reports.serializers import (
    ReportRequestSerializer,
    ReportScheduleSerializer,
    ReportSerializer,
    ScanReportRequestSerializer,
)
from apps.reports.services import report_request
from apps.scans.selectors import scan_get_for_user

PROJECT_PK = OpenApiParameter("project_pk", int, OpenApiParameter.PATH, description="Project id.")
ID = OpenApiParameter("id", int, OpenApiParameter.PATH)
# What an HTML report may do when a browser opens it: show its inline styles and data: images,
# nothing else (no script, no fetch, no form), whatever a finding's text contains.
HTML_REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
CONTENT_TYPES = {ReportFormat.PDF: "application/pdf", ReportFormat.HTML: "text/html; charset=utf-8"}


@extend_schema(tags=["reports"])
@extend_schema_view(list=extend_schema(parameters=[PROJECT_PK]))
class ProjectReportViewSet(mixins.ListModelMixin, ProjectScopedViewSet):
    """A project's reports, newest first; members and up request new ones."""

    scoped_key_access = {"list": KeyScope.READ}
    queryset = Report.objects.none()
    serializer_class = ReportSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[Report]:
        if getattr(self, "swagger_fake_view", False):
            return Report.objects.none()
        return report_list(project=self.project)

    @extend_schema(
        parameters=[PROJECT_PK],
        request=ReportRequestSerializer,
        responses={202: ReportSerializer},
    )
    def create(self, request: Request, project_pk: Any = None) -> Response:
        """Queue a project report (HTML or PDF) over a period of UTC days (default: the last
        30); the worker generates it. Poll GET /reports/{id}/ until `status` is ready."""
        data = ReportRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = report_request(
            project=self.project,
            user=request.user,
            format=data.validated_data["format"],
            period_start=data.validated_data.get("period_start"),
            period_end=data.validated_data.get("period_end"),
        )
        return Response(ReportSerializer(report).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(tags=["reports"])
class ScanReportApi(APIView):
    """POST /scans/{id}/report/: queue a report of one scan (members and up)."""

    @extend_schema(
        parameters=[ID],
        request=ScanReportRequestSerializer,
        responses={202: ReportSerializer},
        operation_id="scan_report_create",
    )
    def post(self, request: Request, id: Any = None) -> Response:
        """Queue the scan's report: its tools and their status, what it found, fixed and
        reopened, and its open findings."""
        scan = scan_get_for_user(user=request.user, scan_id=id)
        project = project_get_for_user(
            project_id=scan.project_id, user=request.user, min_role=ProjectRole.MEMBER
        )
        data = ScanReportRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = report_request(
            project=project, user=request.user, format=data.validated_data["format"], scan=scan
        )
        return Response(ReportSerializer(report).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(tags=["reports"])
@extend_schema_view(retrieve=extend_schema(parameters=[ID]))
class ReportViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """One report's status, and its file once ready."""

    scoped_key_access = {"retrieve": KeyScope.READ, "download": KeyScope.READ}
    queryset = Report.objects.none()
    serializer_class = ReportSerializer
    filter_backends: list[Any] = []

    def get_object(self) -> Report:
        return report_get_for_user(user=self.request.user, report_id=self.kwargs["pk"])

    @extend_schema(
        parameters=[ID],
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, "text/html"): OpenApiTypes.STR,
            409: OpenApiResponse(description="The report is not ready (queued, running, failed)."),
        },
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: Any = None) -> FileResponse:
        """The report's file as an attachment (PDF or self-contained HTML)."""
        report = self.get_object()
        path = absolute_path(report.file_path) if report.file_path else None
        if report.status != ReportStatus.READY or path is None or not path.is_file():
            raise ServiceError(
                "This report is not ready to download.", code="report_not_ready", status_code=409
            )
        stamp = (report.finished_at or report.created_at).strftime("%Y%m%d-%H%M")
        scope = f"scan-{report.scan_id}" if report.scan_id else f"project-{report.project_id}"
        response = FileResponse(
            path.open("rb"),
            as_attachment=True,
            filename=f"seculite-report-{scope}-{stamp}.{report.format}",
            content_type=CONTENT_TYPES[ReportFormat(report.format)],
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        if report.format == ReportFormat.HTML:
            response["Content-Security-Policy"] = HTML_REPORT_CSP
        return response


@extend_schema(tags=["report-schedules"])
@extend_schema_view(
    list=extend_schema(parameters=[PROJECT_PK]),
    retrieve=extend_schema(parameters=[PROJECT_PK, ID]),
    create=extend_schema(parameters=[PROJECT_PK]),
    update=extend_schema(parameters=[PROJECT_PK, ID]),
    partial_update=extend_schema(parameters=[PROJECT_PK, ID]),
    destroy=extend_schema(parameters=[PROJECT_PK, ID]),
)
class ProjectReportScheduleViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ProjectScopedViewSet,
):
    """Weekly or monthly reports e-mailed to chosen addresses: auditors read, members and
    up (who edit scan configurations) write."""

    scoped_key_access = {"list": KeyScope.READ, "retrieve": KeyScope.READ}
    queryset = ReportSchedule.objects.none()
    serializer_class = ReportScheduleSerializer
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[ReportSchedule]:
        if getattr(self, "swagger_fake_view", False):
            return ReportSchedule.objects.none()
        return report_schedule_list(project=self.project)

    def get_object(self) -> ReportSchedule:
        return report_schedule_get(project=self.project, schedule_id=self.kwargs["pk"])

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = report_schedule_create(
            project=self.project, user=self.request.user, **serializer.validated_data
        )

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = report_schedule_update(
            schedule=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance: ReportSchedule) -> None:
        report_schedule_delete(schedule=instance)
