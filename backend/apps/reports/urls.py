"""API routes of the reports and report schedules."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from apps.reports.apis import (
    ProjectReportScheduleViewSet,
    ProjectReportViewSet,
    ReportViewSet,
    ScanReportApi,
)

router = SimpleRouter()
router.register(
    r"projects/(?P<project_pk>\d+)/reports", ProjectReportViewSet, basename="project-report"
)
router.register(
    r"projects/(?P<project_pk>\d+)/report-schedules",
    ProjectReportScheduleViewSet,
    basename="project-report-schedule",
)
router.register("reports", ReportViewSet, basename="report")

urlpatterns: list[URLPattern | URLResolver] = [
    path("scans/<str:id>/report/", ScanReportApi.as_view(), name="scan-report"),
    *router.urls,
]
