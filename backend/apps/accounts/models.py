"""User profile and API keys. Users themselves are Django's `auth.User`."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.db import models
from django.utils import timezone

from apps.common.encryption import EncryptedTextField
from apps.common.models import TimeStampedModel

TIMEZONE_CHOICES = sorted(zoneinfo.available_timezones())


def default_notification_preferences() -> dict[str, object]:
    return {
        "email_enabled": True,
        "scan_completed": True,
        "scan_failed": True,
        "finding_assigned": True,
        "new_findings_min_severity": "high",
    }


class UserProfile(TimeStampedModel):
    """What SecuLite knows about a user beyond Django's auth fields."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    timezone = models.CharField(max_length=64, default="UTC")
    notification_preferences = models.JSONField(default=default_notification_preferences)
    # A self-registered account stays inactive until its emailed activation link is used.
    registration_pending = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"profile of {self.user}"


class ApiKey(TimeStampedModel):
    """A per-user API key. Only a SHA-256 of the secret is stored; the key is shown once.

    The public `prefix` locates the row without scanning; the hash is then compared in
    constant time.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # A project-scoped key (for CI) reaches only `project`, and only with `scopes`
    # (apps.accounts.scopes); a key without a project acts as its user everywhere.
    project = models.ForeignKey(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="api_keys",
    )
    scopes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class TotpDevice(TimeStampedModel):
    """A user's authenticator app. The shared secret is encrypted at rest; a device is used
    only once `confirmed_at` is set (the user proved it with a code). `last_used_step` is the
    30-second step of the last accepted code, so a code cannot be replayed."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="totp_device"
    )
    secret = EncryptedTextField(salt=b"seculite-totp")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_used_step = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"TOTP of {self.user}"


class WebAuthnCredential(TimeStampedModel):
    """A security key or passkey registered by a user (public key only; the sign count
    detects cloned authenticators)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webauthn_credentials"
    )
    name = models.CharField(max_length=100)
    credential_id = models.BinaryField(unique=True)
    public_key = models.BinaryField()
    sign_count = models.BigIntegerField(default=0)
    transports = models.JSONField(default=list, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"security key {self.name} of {self.user}"


class RecoveryCode(models.Model):
    """One single-use recovery code, stored as a SHA-256 (codes are random, 50+ bits)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recovery_codes"
    )
    code_hash = models.CharField(max_length=64)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"recovery code of {self.user}"


# Registered with the accounts app through this module.
from apps.accounts.audit import AuditEvent  # noqa: E402, F401
