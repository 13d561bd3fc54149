"""App configuration for the dashboard (aggregates, and the rollups that keep them cheap)."""

from django.apps import AppConfig


class DashboardConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.dashboard"
