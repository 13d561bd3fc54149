"""Django's admin app with SecuLite's admin site (apps.accounts.admin_site). Kept apart from
the site so that loading the app configs imports no models."""

from django.contrib.admin.apps import AdminConfig


class SecuLiteAdminConfig(AdminConfig):
    default_site = "apps.accounts.admin_site.SecuLiteAdminSite"
