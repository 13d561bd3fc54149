"""Writes for two-factor authentication: answering a challenge (with lockout), enrolling and
removing factors, regenerating recovery codes. Each change is audited."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.cache import cache

from apps.accounts.audit import AuditAction, audit_record
from apps.accounts.lockout import lockout_message
from apps.accounts.mfa import recovery, totp, webauthn
from apps.accounts.mfa.policy import MfaMethod, mfa_methods_for, mfa_required_reason
from apps.accounts.models import RecoveryCode, WebAuthnCredential
from apps.common.errors import ServiceError

WRONG_CODE_MESSAGE = "That code is not valid. Check your authenticator app and try again."


def _failures_key(user: Any) -> str:
    return f"seculite:mfa-failures:{user.pk}"


def _locked_error() -> ServiceError:
    return ServiceError(lockout_message(), code="account_locked", status_code=429)


def _refuse_when_locked(user: Any) -> None:
    if int(cache.get(_failures_key(user), 0)) >= settings.AXES_FAILURE_LIMIT:
        raise _locked_error()


def _failure(*, request: Any, user: Any, method: str) -> None:
    """Count a wrong answer; the limit and cool-off are django-axes's (AXES_FAILURE_LIMIT,
    AXES_COOLOFF_TIME), so a second factor is no easier to guess than a password."""
    key = _failures_key(user)
    timeout = int(settings.AXES_COOLOFF_TIME.total_seconds())
    cache.add(key, 0, timeout=timeout)
    try:
        failures = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=timeout)
        failures = 1
    audit_record(AuditAction.MFA_CHALLENGE_FAILED, request=request, actor=user, method=method)
    if failures >= settings.AXES_FAILURE_LIMIT:
        raise _locked_error()


def mfa_verify(
    *,
    request: Any,
    user: Any,
    method: str,
    code: str = "",
    credential: dict[str, Any] | None = None,
) -> None:
    """Check a second-factor answer of `user`; raise ServiceError when it is wrong (after
    counting it) or the user is locked out. A used recovery code is spent and audited."""
    _refuse_when_locked(user)
    if method == MfaMethod.TOTP:
        ok = totp.totp_check(user=user, code=code)
    elif method == MfaMethod.RECOVERY_CODE:
        ok = recovery.recovery_code_use(user=user, code=code)
        if ok:
            audit_record(
                AuditAction.RECOVERY_CODE_USED,
                request=request,
                actor=user,
                left=recovery.recovery_codes_left(user=user),
            )
    elif method == MfaMethod.WEBAUTHN:
        ok = webauthn.authentication_verify(
            session=request.session, user=user, credential=credential or {}
        )
    else:
        raise ServiceError(f"Unknown second factor {method!r}.", code="invalid")
    if not ok:
        _failure(request=request, user=user, method=method)
        raise ServiceError(
            "That security key is not registered or its answer is not valid."
            if method == MfaMethod.WEBAUTHN
            else WRONG_CODE_MESSAGE,
            code="invalid_code",
        )
    cache.delete(_failures_key(user))


def mfa_reauthenticate(*, request: Any, user: Any, password: str = "", code: str = "") -> None:
    """Changing or removing a factor needs the current password, or a fresh TOTP or recovery
    code (for accounts that sign in by SSO and have no password)."""
    _refuse_when_locked(user)
    if password and user.has_usable_password() and user.check_password(password):
        return
    if code:
        method = MfaMethod.TOTP if code.strip().isdigit() else MfaMethod.RECOVERY_CODE
        mfa_verify(request=request, user=user, method=method, code=code)
        return
    _failure(request=request, user=user, method="password")
    raise ServiceError(
        "Confirm with your current password (or a code from your authenticator app).",
        code="reauthentication_required",
        status_code=403,
    )


def _recovery_codes_if_missing(*, user: Any) -> list[str]:
    if RecoveryCode.objects.filter(user=user, used_at__isnull=True).exists():
        return []
    return recovery.recovery_codes_generate(user=user)


def mfa_totp_enable(*, request: Any, user: Any, code: str) -> list[str]:
    """Confirm the user's new authenticator app with a code; returns new recovery codes when
    the user had none (shown once), else []."""
    _refuse_when_locked(user)
    if not totp.totp_confirm(user=user, code=code):
        _failure(request=request, user=user, method=MfaMethod.TOTP)
        raise ServiceError(WRONG_CODE_MESSAGE, code="invalid_code")
    audit_record(AuditAction.MFA_ENROLLED, request=request, actor=user, kind=MfaMethod.TOTP)
    return _recovery_codes_if_missing(user=user)


def mfa_webauthn_add(
    *, request: Any, user: Any, credential: dict[str, Any], name: str
) -> tuple[WebAuthnCredential, list[str]]:
    """Register a security key; returns it and new recovery codes when the user had none."""
    stored = webauthn.registration_verify(
        session=request.session, user=user, credential=credential, name=name
    )
    audit_record(
        AuditAction.MFA_ENROLLED,
        request=request,
        actor=user,
        kind=MfaMethod.WEBAUTHN,
        credential=stored.pk,
        name=name,
    )
    return stored, _recovery_codes_if_missing(user=user)


def _refuse_removing_the_last_factor(*, user: Any, kind: str) -> None:
    left = [m for m in mfa_methods_for(user) if m not in (kind, MfaMethod.RECOVERY_CODE)]
    if kind == MfaMethod.WEBAUTHN and WebAuthnCredential.objects.filter(user=user).count() > 1:
        left.append(MfaMethod.WEBAUTHN)
    reason = mfa_required_reason(user)
    if not left and reason:
        raise ServiceError(
            "Your account must keep a second factor"
            + (" (staff accounts)." if reason == "staff" else f" ({reason}).")
            + " Add another one before removing this one.",
            code="mfa_required",
            status_code=409,
        )


def mfa_factor_remove(
    *, request: Any, user: Any, kind: str, credential_id: int | None = None
) -> None:
    """Remove the authenticator app or one security key (already re-authenticated). With no
    factor left the recovery codes go too; a user who must keep a factor cannot remove the last."""
    _refuse_removing_the_last_factor(user=user, kind=kind)
    if kind == MfaMethod.TOTP:
        removed = totp.totp_remove(user=user)
    elif kind == MfaMethod.WEBAUTHN and credential_id is not None:
        removed = webauthn.webauthn_remove(user=user, credential_id=credential_id)
    else:
        raise ServiceError("Unknown second factor.", code="invalid")
    if not removed:
        raise ServiceError("There is no such second factor.", code="not_found", status_code=404)
    if not mfa_methods_for(user):
        RecoveryCode.objects.filter(user=user).delete()
    audit_record(
        AuditAction.MFA_REMOVED, request=request, actor=user, kind=kind, credential=credential_id
    )


def mfa_recovery_codes_regenerate(*, request: Any, user: Any) -> list[str]:
    """New recovery codes replace the old ones (already re-authenticated)."""
    if not mfa_methods_for(user):
        raise ServiceError(
            "Set up an authenticator app or a security key first.", code="mfa_not_enabled"
        )
    codes = recovery.recovery_codes_generate(user=user)
    audit_record(AuditAction.RECOVERY_CODES_REGENERATED, request=request, actor=user)
    return codes
