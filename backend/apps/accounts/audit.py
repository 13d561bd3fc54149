"""Audit log of security events (sign-ins, MFA changes, API keys, role changes): who, when,
from where. Rows are written by `audit_record` and never edited; a daily task purges old ones."""

from __future__ import annotations

import ipaddress
import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.http import HttpRequest
from django.utils import timezone

from apps.accounts.lockout import client_ip

logger = logging.getLogger(__name__)

USER_AGENT_MAX = 300
# Detail keys that could carry a secret are dropped, whoever passes them.
_SECRET_KEYS = frozenset(
    {"password", "secret", "token", "code", "codes", "key", "recovery_code", "otp", "assertion"}
)


class AuditAction(models.TextChoices):
    SIGN_IN = "sign_in", "Signed in"
    SIGN_IN_FAILED = "sign_in_failed", "Sign-in failed"
    SIGN_OUT = "sign_out", "Signed out"
    MFA_CHALLENGE_FAILED = "mfa_challenge_failed", "Second factor refused"
    MFA_ENROLLED = "mfa_enrolled", "Second factor added"
    MFA_REMOVED = "mfa_removed", "Second factor removed"
    RECOVERY_CODE_USED = "recovery_code_used", "Recovery code used"
    RECOVERY_CODES_REGENERATED = "recovery_codes_regenerated", "Recovery codes regenerated"
    API_KEY_CREATED = "api_key_created", "API key created"
    API_KEY_REVOKED = "api_key_revoked", "API key revoked"
    ROLE_CHANGED = "role_changed", "Role changed"
    ORGANIZATION_POLICY_CHANGED = "organization_policy_changed", "Organization policy changed"
    SSO_SIGN_IN = "sso_sign_in", "Signed in with SSO"
    SSO_SIGN_IN_FAILED = "sso_sign_in_failed", "SSO sign-in failed"
    SSO_ACCOUNT_LINKED = "sso_account_linked", "SSO account linked"


class AuditEvent(models.Model):
    """One security event. `actor_username` survives the user's deletion (actor → NULL)."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=40, choices=AuditAction.choices, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=USER_AGENT_MAX, blank=True)
    organization = models.ForeignKey(
        "organizations.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        app_label = "accounts"
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["actor", "at"]),
            models.Index(fields=["organization", "at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor_username or '-'} {self.action}"


def _clean_detail(detail: dict[str, Any]) -> dict[str, Any]:
    """JSON-safe detail without keys that could hold a secret."""
    clean: dict[str, Any] = {}
    for name, value in detail.items():
        if name.lower() in _SECRET_KEYS:
            continue
        if value is None or isinstance(value, (bool, int, float, str, list, dict)):
            clean[name] = value
        else:
            clean[name] = str(value)
    return clean


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def audit_record(
    action: str,
    *,
    request: HttpRequest | Any | None = None,
    actor: Any | None = None,
    organization: Any | None = None,
    **detail: Any,
) -> AuditEvent:
    """Write one audit event. `request` (Django's or DRF's) gives the address (through the
    project's proxy-aware `client_ip`) and user agent, and the actor when none is given.
    `detail` is stored as JSON, minus any key that could name a secret; a `username` in it
    names the actor when there is no user (a failed sign-in)."""
    django_request = getattr(request, "_request", request)
    ip: str | None = None
    user_agent = ""
    if django_request is not None:
        ip = _valid_ip(client_ip(django_request))
        user_agent = str(django_request.META.get("HTTP_USER_AGENT", ""))[:USER_AGENT_MAX]
        if actor is None:
            candidate = getattr(django_request, "user", None)
            if candidate is not None and candidate.is_authenticated:
                actor = candidate
    username = detail.pop("username", None)
    if actor is not None and getattr(actor, "pk", None) is None:
        actor = None
    event = AuditEvent.objects.create(
        action=action,
        actor=actor,
        actor_username=(actor.get_username() if actor is not None else str(username or ""))[:150],
        ip=ip,
        user_agent=user_agent,
        organization=organization,
        detail=_clean_detail(detail),
    )
    logger.info("audit %s actor=%s", action, event.actor_username or "-")
    return event


def audit_events_purge(*, days: int | None = None) -> int:
    """Delete events older than SECULITE_AUDIT_RETENTION_DAYS; returns how many went."""
    keep = settings.SECULITE_AUDIT_RETENTION_DAYS if days is None else days
    cutoff = timezone.now() - timedelta(days=keep)
    deleted, _ = AuditEvent.objects.filter(at__lt=cutoff).delete()
    if deleted:
        logger.info("Purged %s audit events older than %s.", deleted, cutoff)
    return deleted


def audit_role_changed(
    *,
    actor: Any | None,
    member: Any,
    organization: Any | None,
    old_role: str | None,
    new_role: str | None,
    project: Any | None = None,
    request: Any | None = None,
) -> AuditEvent:
    """Record a member's organization or project role going from `old_role` to `new_role`
    (None: not a member)."""
    return audit_record(
        AuditAction.ROLE_CHANGED,
        request=request,
        actor=actor,
        organization=organization,
        scope="project" if project is not None else "organization",
        project_id=project.pk if project is not None else None,
        member_id=member.pk,
        member=member.get_username(),
        old_role=old_role,
        new_role=new_role,
    )
