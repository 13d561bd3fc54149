"""URL routes: the API under /api/v1/, the Django admin, the schema and its docs page, and the
web app for every other path."""

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.common.apis import HealthApi, WorkersHealthApi
from apps.common.spa import spa_index

api_v1: list[URLPattern | URLResolver] = [
    path("health/", HealthApi.as_view(), name="health"),
    path("health/workers/", WorkersHealthApi.as_view(), name="health-workers"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("", include("apps.accounts.urls")),
    path("", include("apps.organizations.urls")),
    path("", include("apps.projects.urls")),
    path("", include("apps.targets.urls")),
    path("", include("apps.tools.urls")),
    path("", include("apps.scans.urls")),
    path("", include("apps.findings.urls")),
    path("", include("apps.imports.urls")),
    path("", include("apps.dashboard.urls")),
    path("", include("apps.notifications.webhook_urls")),
    path("", include("apps.notifications.inbox_urls")),
    path("", include("apps.reports.urls")),
    path("", include("apps.sso.urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("admin/", admin.site.urls),
    # Single sign-on redirects (start, OIDC callback, SAML ACS and metadata).
    path("accounts/", include("apps.sso.browser_urls")),
    # The web app's history fallback: any other page path answers its index.html.
    re_path(r"^(?!api/|admin/|accounts/|static/|media/).*$", spa_index, name="spa"),
]

handler400 = "apps.common.errors.json_bad_request"
handler404 = "apps.common.errors.json_not_found"
handler500 = "apps.common.errors.json_server_error"
