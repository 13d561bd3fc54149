"""Report imports: reports from CI or other tools become scans of trigger `import`."""

from django.apps import AppConfig


class ImportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.imports"
    verbose_name = "Report imports"
