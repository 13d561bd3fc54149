"""API routes of the dashboard app."""

from django.urls import path

from apps.dashboard.apis import DashboardApi, MetricsApi, ProjectMetricsApi

urlpatterns = [
    path("dashboard/", DashboardApi.as_view(), name="dashboard"),
    path("metrics/", MetricsApi.as_view(), name="metrics"),
    path("projects/<int:project_pk>/metrics/", ProjectMetricsApi.as_view(), name="project-metrics"),
]
