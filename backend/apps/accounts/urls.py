"""API routes of the accounts app."""

from django.urls import URLPattern, URLResolver, path
from rest_framework.routers import SimpleRouter

from apps.accounts.apis import (
    AdminUserViewSet,
    ApiKeyViewSet,
    EmailChangeApi,
    EmailChangeConfirmApi,
    LoginApi,
    LogoutApi,
    MeApi,
    PasswordChangeApi,
    PasswordResetConfirmApi,
    PasswordResetRequestApi,
    ProfileApi,
    RegisterApi,
    RegisterConfirmApi,
)

router = SimpleRouter()
router.register("api-keys", ApiKeyViewSet, basename="api-key")
router.register("admin/users", AdminUserViewSet, basename="admin-user")

urlpatterns: list[URLPattern | URLResolver] = [
    path("auth/register/", RegisterApi.as_view(), name="auth-register"),
    path("auth/register/confirm/", RegisterConfirmApi.as_view(), name="auth-register-confirm"),
    path("auth/login/", LoginApi.as_view(), name="auth-login"),
    path("auth/logout/", LogoutApi.as_view(), name="auth-logout"),
    path("auth/me/", MeApi.as_view(), name="auth-me"),
    path("auth/profile/", ProfileApi.as_view(), name="auth-profile"),
    path("auth/email/change/", EmailChangeApi.as_view(), name="auth-email-change"),
    path(
        "auth/email/change/confirm/",
        EmailChangeConfirmApi.as_view(),
        name="auth-email-change-confirm",
    ),
    path("auth/password/change/", PasswordChangeApi.as_view(), name="auth-password-change"),
    path("auth/password/reset/", PasswordResetRequestApi.as_view(), name="auth-password-reset"),
    path(
        "auth/password/reset/confirm/",
        PasswordResetConfirmApi.as_view(),
        name="auth-password-reset-confirm",
    ),
    *router.urls,
]
