"""Dashboard endpoints: aggregates and metrics over every project the caller can see, and one
project's metrics."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.scopes import KeyScope
from apps.dashboard.metrics import metrics_for_projects
from apps.dashboard.selectors import dashboard_summary
from apps.dashboard.serializers import (
    DashboardOutputSerializer,
    MetricsOutputSerializer,
    MetricsQuerySerializer,
)
from apps.projects.selectors import project_get_for_user, project_ids_for_user

METRICS_DESCRIPTION = (
    "Security metrics over UTC days `from`..`to` (at most 366 days, `to` at most today; "
    "default the last 90 days): open findings by severity at the end of each day (from daily "
    "snapshots), new vs fixed per ISO week, mean and median days to fix per severity and SLA "
    "compliance of the findings fixed in the range, open findings past due, the age of open "
    "findings, the top 10 rules, CWEs and files among open findings, each tool's open and "
    "new findings, and the active targets without a successful tool run in the last "
    "`coverage_days` days. Only default-branch findings count. A malformed or out-of-range "
    "parameter answers 400."
)
METRICS_PARAMETERS = [
    OpenApiParameter("from", OpenApiTypes.DATE, OpenApiParameter.QUERY, description="First day."),
    OpenApiParameter("to", OpenApiTypes.DATE, OpenApiParameter.QUERY, description="Last day."),
    OpenApiParameter("coverage_days", int, OpenApiParameter.QUERY, description="1 to 365."),
]


def _metrics(request: Request, project_ids: Any) -> Response:
    query = MetricsQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    data = metrics_for_projects(project_ids=project_ids, **query.validated_data)
    return Response(MetricsOutputSerializer(data).data)


class DashboardApi(APIView):
    @extend_schema(
        tags=["dashboard"],
        operation_id="dashboard",
        responses=DashboardOutputSerializer,
        description=(
            "Open findings by severity, findings by status, new vs resolved per day for the "
            "last 30 days (in the caller's timezone), the latest scans and the open findings "
            "assigned to the caller, over every project the caller can see."
        ),
    )
    def get(self, request: Request) -> Response:
        summary = dashboard_summary(user=request.user)
        return Response(DashboardOutputSerializer(summary).data)


class MetricsApi(APIView):
    @extend_schema(
        tags=["dashboard"],
        operation_id="metrics",
        parameters=METRICS_PARAMETERS,
        responses=MetricsOutputSerializer,
        description=METRICS_DESCRIPTION + " Over every project the caller can see.",
    )
    def get(self, request: Request) -> Response:
        project_ids = project_ids_for_user(request.user).order_by().values_list("id", flat=True)
        return _metrics(request, list(project_ids))


@extend_schema(
    tags=["projects"], parameters=[OpenApiParameter("project_pk", int, OpenApiParameter.PATH)]
)
class ProjectMetricsApi(APIView):
    scoped_key_access = {"GET": KeyScope.READ}

    @extend_schema(
        operation_id="project_metrics",
        parameters=METRICS_PARAMETERS,
        responses=MetricsOutputSerializer,
        description=METRICS_DESCRIPTION + " Of one project (any role in it).",
    )
    def get(self, request: Request, project_pk: Any) -> Response:
        project = project_get_for_user(project_id=project_pk, user=request.user)
        return _metrics(request, [project.pk])
