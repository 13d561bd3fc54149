"""API routes of the dashboard app."""

from django.urls import path

from apps.dashboard.apis import DashboardApi

urlpatterns = [path("dashboard/", DashboardApi.as_view(), name="dashboard")]
