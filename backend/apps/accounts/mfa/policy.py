"""Who has a second factor, which kinds, and who must have one."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class MfaMethod(models.TextChoices):
    TOTP = "totp", "Authenticator app"
    WEBAUTHN = "webauthn", "Security key"
    RECOVERY_CODE = "recovery_code", "Recovery code"


def mfa_methods_for(user: Any) -> list[str]:
    """The factors `user` can answer a challenge with; [] means no second factor.

    Recovery codes count only beside a real factor: they are its backup, not a factor alone.
    """
    from apps.accounts.models import RecoveryCode, TotpDevice, WebAuthnCredential

    methods: list[str] = []
    if TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists():
        methods.append(MfaMethod.TOTP)
    if WebAuthnCredential.objects.filter(user=user).exists():
        methods.append(MfaMethod.WEBAUTHN)
    if methods and RecoveryCode.objects.filter(user=user, used_at__isnull=True).exists():
        methods.append(MfaMethod.RECOVERY_CODE)
    return methods


def mfa_required_reason(user: Any) -> str | None:
    """Why `user` must have a second factor ("staff", or "organization:<slug>"), or None."""
    from apps.organizations.models import Organization

    if user.is_staff and settings.SECULITE_MFA_REQUIRED_FOR_STAFF:
        return "staff"
    organization = (
        Organization.objects.filter(memberships__user=user, require_mfa=True)
        .order_by("name")
        .first()
    )
    if organization is not None:
        return f"organization:{organization.slug}"
    return None
