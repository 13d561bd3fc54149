"""API routes of single sign-on (under /api/v1/)."""

from django.urls import URLPattern, path

from apps.sso.apis import SsoConnectionDetailApi, SsoConnectionsApi, SsoProvidersApi, SsoStartApi

urlpatterns: list[URLPattern] = [
    path("auth/sso/providers/", SsoProvidersApi.as_view(), name="auth-sso-providers"),
    path(
        "auth/sso/providers/<str:provider_id>/start/",
        SsoStartApi.as_view(),
        name="auth-sso-start",
    ),
    path("auth/sso/connections/", SsoConnectionsApi.as_view(), name="auth-sso-connections"),
    path(
        "auth/sso/connections/<int:connection_id>/",
        SsoConnectionDetailApi.as_view(),
        name="auth-sso-connection",
    ),
]
