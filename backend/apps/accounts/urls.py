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
from apps.accounts.audit_views import AuditEventViewSet
from apps.accounts.mfa import apis as mfa_apis

router = SimpleRouter()
router.register("api-keys", ApiKeyViewSet, basename="api-key")
router.register("admin/users", AdminUserViewSet, basename="admin-user")
router.register("audit-events", AuditEventViewSet, basename="audit-event")

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
    path("auth/mfa/", mfa_apis.MfaStatusApi.as_view(), name="mfa-status"),
    path("auth/mfa/totp/setup/", mfa_apis.TotpSetupApi.as_view(), name="mfa-totp-setup"),
    path("auth/mfa/totp/confirm/", mfa_apis.TotpConfirmApi.as_view(), name="mfa-totp-confirm"),
    path("auth/mfa/totp/remove/", mfa_apis.TotpRemoveApi.as_view(), name="mfa-totp-remove"),
    path(
        "auth/mfa/webauthn/register/options/",
        mfa_apis.WebAuthnRegisterOptionsApi.as_view(),
        name="mfa-webauthn-register-options",
    ),
    path(
        "auth/mfa/webauthn/register/",
        mfa_apis.WebAuthnRegisterApi.as_view(),
        name="mfa-webauthn-register",
    ),
    path(
        "auth/mfa/webauthn/<int:credential_id>/remove/",
        mfa_apis.WebAuthnRemoveApi.as_view(),
        name="mfa-webauthn-remove",
    ),
    path(
        "auth/mfa/recovery-codes/",
        mfa_apis.RecoveryCodesApi.as_view(),
        name="mfa-recovery-codes",
    ),
    path(
        "auth/mfa/challenge/webauthn/options/",
        mfa_apis.ChallengeOptionsApi.as_view(),
        name="mfa-challenge-webauthn-options",
    ),
    path("auth/mfa/challenge/", mfa_apis.ChallengeApi.as_view(), name="mfa-challenge"),
    *router.urls,
]
