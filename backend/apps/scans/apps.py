"""App configuration for scans."""

from django.apps import AppConfig


class ScansConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.scans"

    def ready(self) -> None:
        from django.core import checks

        from apps.scans.limits import check_visibility_timeout

        checks.register(check_visibility_timeout, "seculite")
