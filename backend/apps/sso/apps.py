"""App configuration for single sign-on."""

from django.apps import AppConfig


class SsoConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "apps.sso"
    verbose_name = "Single sign-on"
