"""Dashboard endpoint: aggregates over every project the caller can see."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.dashboard.selectors import dashboard_summary
from apps.dashboard.serializers import DashboardOutputSerializer


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
