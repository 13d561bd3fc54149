"""Emailed invitations to an organization or a project: a one-time, 7-day link.

Only a SHA-256 of the link's secret is stored. The email and the caller's answer are the
same whether or not the address has an account; the invited address's account accepts.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.core.mail import send_mail
from django.db import models
from django.utils import timezone

from apps.common.errors import ServiceError
from apps.common.models import TimeStampedModel

INVITATION_LIFETIME = timedelta(days=7)
INVALID_INVITATION_MESSAGE = "This invitation is invalid, used or has expired."


class Invitation(TimeStampedModel):
    """The fields every invitation has; subclasses add what it invites to and the role."""

    email = models.EmailField()
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True


InvitationT = TypeVar("InvitationT", bound=Invitation)


def invitation_key_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_key_new() -> tuple[str, str]:
    """A fresh link secret and the hash to store in its place."""
    token = secrets.token_urlsafe(32)
    return token, invitation_key_hash(token)


def invitation_email_send(
    *,
    invitation: Invitation,
    token: str,
    actor: Any,
    kind: str,
    name: str,
    role: str,
    link_query: str = "",
) -> None:
    """Email the link; the text is the same whether or not the address has an account.

    `kind` is "organization" or "project"; `link_query` is put before the token so that the
    web app's accept page knows which kind it is.
    """
    link = f"{settings.FRONTEND_URL}/invitations/accept?{link_query}token={token}"
    body = (
        "Hello,\n\n"
        f"{actor.get_username()} invited this address to the {kind} {name!r} on SecuLite, "
        f"as {role}.\n\n"
        "To join, sign in with the SecuLite account that uses this email address (register "
        f"one with it first at {settings.FRONTEND_URL}/register if you have none), then "
        f"open:\n\n{link}\n\n"
        f"The link works once and expires in {INVITATION_LIFETIME.days} days. If you do not "
        "want to join, ignore this email.\n"
    )
    send_mail(f"Join {name} on SecuLite", body, None, [invitation.email])


def invitation_redeem(
    queryset: models.QuerySet[InvitationT],
    *,
    token: str,
    user: Any,
    inviter_may_grant: Callable[[InvitationT], bool],
) -> InvitationT:
    """Lock and use up the open invitation behind `token` for `user`; call inside a transaction.

    Used, expired or unknown links, and links whose inviter can no longer grant the role, are
    one 400; an account with another email is refused (403) without using the link up.
    """
    invitation = (
        queryset.select_for_update(of=("self",))
        .filter(
            key_hash=invitation_key_hash(token),
            accepted_at__isnull=True,
            created_at__gt=timezone.now() - INVITATION_LIFETIME,
        )
        .first()
    )
    inviter = invitation.invited_by if invitation is not None else None
    if (
        invitation is None
        or inviter is None
        or not inviter.is_active
        or not inviter_may_grant(invitation)
    ):
        raise ServiceError(INVALID_INVITATION_MESSAGE, code="invalid_token")
    if (user.email or "").lower() != invitation.email.lower():
        raise ServiceError(
            "This invitation was sent to another email address; sign in with the account "
            "that uses it.",
            code="invitation_for_another_address",
            status_code=403,
        )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at", "updated_at"])
    return invitation
