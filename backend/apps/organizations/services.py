"""Writes to organizations, their memberships and invitations.

Owners and admins manage members, but only owners (and staff) hand out or take away the
owner role, and an organization always keeps at least one owner. Inviting by email answers
the same whether or not the address has an account: the address gets a link, and the
membership starts when its account accepts.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from apps.common.errors import ServiceError
from apps.organizations.models import (
    Organization,
    OrganizationInvitation,
    OrganizationMembership,
    OrganizationRole,
)
from apps.organizations.selectors import organization_role_at_least, organization_role_for_user
from apps.projects.models import ProjectMembership

logger = logging.getLogger(__name__)

INVITATION_LIFETIME = timedelta(days=7)
INVALID_INVITATION_MESSAGE = "This invitation is invalid, used or has expired."

SLUG_MAX_LENGTH = Organization._meta.get_field("slug").max_length or 150
SLUG_ATTEMPTS = 50


def _slug_taken(slug: str, *, exclude_id: int | None = None) -> bool:
    queryset = Organization.objects.filter(slug=slug)
    if exclude_id is not None:
        queryset = queryset.exclude(pk=exclude_id)
    return queryset.exists()


def _slug_error() -> ValidationError:
    return ValidationError({"slug": ["An organization with this slug already exists."]})


def _slug_candidates(name: str) -> list[str]:
    """`acme`, `acme-2`, `acme-3`, ... cut so that every candidate fits the column."""
    base = slugify(name)[: SLUG_MAX_LENGTH - 4].strip("-") or "organization"
    return [base] + [f"{base}-{n}" for n in range(2, SLUG_ATTEMPTS + 1)]


def _require_owner_for(*, actor: Any, organization: Organization, action: str) -> None:
    if organization_role_for_user(organization=organization, user=actor) != OrganizationRole.OWNER:
        raise ServiceError(
            f"Only owners of the organization can {action}.",
            code="permission_denied",
            status_code=403,
        )


@transaction.atomic
def organization_create(
    *, user: Any, name: str, slug: str | None = None, description: str = ""
) -> Organization:
    """Create an organization and make `user` its owner.

    A given slug must be free (field error otherwise); without one the slug is derived from
    the name, with `-2`, `-3`, ... appended until it is unique.
    """
    if slug:
        if _slug_taken(slug):
            raise _slug_error()
        candidates = [slug]
    else:
        candidates = [c for c in _slug_candidates(name) if not _slug_taken(c)]
    for candidate in candidates:
        try:
            with transaction.atomic():
                organization = Organization.objects.create(
                    name=name, slug=candidate, description=description, created_by=user
                )
        except IntegrityError:  # taken by a concurrent create since we looked
            continue
        OrganizationMembership.objects.create(
            organization=organization, user=user, role=OrganizationRole.OWNER
        )
        return organization
    if slug:
        raise _slug_error()
    raise ServiceError(
        "Could not derive a free slug from this name; give one.", code="slug_unavailable"
    )


def organization_update(
    *,
    organization: Organization,
    name: str | None = None,
    slug: str | None = None,
    description: str | None = None,
) -> Organization:
    """Rename, re-slug or re-describe an organization; a taken slug is a field error."""
    if name is not None:
        organization.name = name
    if description is not None:
        organization.description = description
    if slug is not None and slug != organization.slug:
        if _slug_taken(slug, exclude_id=organization.pk):
            raise _slug_error()
        organization.slug = slug
    try:
        with transaction.atomic():
            organization.save()
    except IntegrityError as exc:
        raise _slug_error() from exc
    return organization


def organization_delete(*, organization: Organization) -> None:
    """Delete an organization that owns no projects.

    Deleting would cascade to every project it owns, with their scans and findings, so the
    projects have to be moved or deleted first.
    """
    if organization.projects.exists():
        raise ServiceError(
            "This organization still owns projects; delete them first.",
            code="organization_has_projects",
            status_code=409,
        )
    organization.delete()


def _other_owners(organization: Organization, excluding_user_id: int) -> int:
    """Owners other than the given user, locked so two concurrent demotions cannot both pass."""
    return len(
        OrganizationMembership.objects.select_for_update()
        .filter(organization=organization, role=OrganizationRole.OWNER)
        .exclude(user_id=excluding_user_id)
        .values_list("pk", flat=True)
    )


def organization_member_add(
    *, organization: Organization, actor: Any, user: Any, role: str
) -> OrganizationMembership:
    """Add `user` to the organization. Only owners may add another owner."""
    if role == OrganizationRole.OWNER:
        _require_owner_for(actor=actor, organization=organization, action="add owners")
    membership, created = OrganizationMembership.objects.get_or_create(
        organization=organization, user=user, defaults={"role": role}
    )
    if not created:
        raise ServiceError(
            "This user is already a member of the organization.", code="already_member"
        )
    return membership


@transaction.atomic
def organization_member_update(
    *, membership: OrganizationMembership, actor: Any, role: str
) -> OrganizationMembership:
    """Change a member's role. Only owners grant or take away the owner role; the last owner
    cannot be demoted."""
    if role == membership.role:
        return membership
    organization = membership.organization
    if OrganizationRole.OWNER in (role, membership.role):
        _require_owner_for(actor=actor, organization=organization, action="change owners")
    if (
        membership.role == OrganizationRole.OWNER
        and _other_owners(organization, membership.user_id) == 0
    ):
        raise ServiceError("An organization needs at least one owner.", code="last_owner")
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    return membership


@transaction.atomic
def organization_member_remove(*, membership: OrganizationMembership, actor: Any) -> None:
    """Remove a member and their roles on the organization's projects.

    Only owners remove owners; the last owner cannot be removed. Project roles inside the
    organization go too: whoever leaves the organization leaves its projects.
    """
    organization = membership.organization
    if membership.role == OrganizationRole.OWNER:
        _require_owner_for(actor=actor, organization=organization, action="remove owners")
        if _other_owners(organization, membership.user_id) == 0:
            raise ServiceError("An organization needs at least one owner.", code="last_owner")
    removed, _ = ProjectMembership.objects.filter(
        project__organization=organization, user_id=membership.user_id
    ).delete()
    membership.delete()
    logger.info(
        "User %s left organization %s with %s project roles.",
        membership.user_id,
        organization.pk,
        removed,
    )


def _invitation_key_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def organization_invitation_send(
    *, organization: Organization, actor: Any, email: str, role: str
) -> OrganizationInvitation:
    """Email `email` a link to join the organization with `role`; tell the caller nothing.

    The email is the same whether or not the address has an account (or is a member): it
    asks the person to sign in with, or register, an account that uses this address.
    """
    if role == OrganizationRole.OWNER:
        _require_owner_for(actor=actor, organization=organization, action="add owners")
    token = secrets.token_urlsafe(32)
    invitation = OrganizationInvitation.objects.create(
        organization=organization,
        email=email.strip(),
        role=role,
        invited_by=actor,
        key_hash=_invitation_key_hash(token),
    )
    days = INVITATION_LIFETIME.days
    body = (
        "Hello,\n\n"
        f"{actor.get_username()} invited this address to the organization "
        f"{organization.name!r} on SecuLite, as {role}.\n\n"
        "To join, sign in with the SecuLite account that uses this email address (register "
        f"one with it first at {settings.FRONTEND_URL}/register if you have none), then "
        f"open:\n\n{settings.FRONTEND_URL}/invitations/accept?token={token}\n\n"
        f"The link works once and expires in {days} days. If you do not want to join, "
        "ignore this email.\n"
    )
    send_mail(f"Join {organization.name} on SecuLite", body, None, [invitation.email])
    logger.info("Invitation %s to organization %s sent.", invitation.pk, organization.pk)
    return invitation


def _inviter_may_grant(invitation: OrganizationInvitation) -> bool:
    """The inviter must still be allowed to add a member with the invited role."""
    inviter = invitation.invited_by
    if inviter is None or not inviter.is_active:
        return False
    role = organization_role_for_user(organization=invitation.organization, user=inviter)
    needed = OrganizationRole.OWNER if invitation.role == OrganizationRole.OWNER else "admin"
    return organization_role_at_least(role, needed)


@transaction.atomic
def organization_invitation_accept(*, user: Any, token: str) -> OrganizationMembership:
    """Turn an invitation into a membership of `user`, whose email must be the invited one."""
    invitation = (
        OrganizationInvitation.objects.select_for_update(of=("self",))
        .select_related("organization", "invited_by")
        .filter(
            key_hash=_invitation_key_hash(token),
            accepted_at__isnull=True,
            created_at__gt=timezone.now() - INVITATION_LIFETIME,
        )
        .first()
    )
    if invitation is None or not _inviter_may_grant(invitation):
        raise ServiceError(INVALID_INVITATION_MESSAGE, code="invalid_token")
    if (user.email or "").lower() != invitation.email.lower():
        raise ServiceError(
            "This invitation was sent to another email address; sign in with the account "
            "that uses it.",
            code="invitation_for_another_address",
            status_code=403,
        )
    membership, created = OrganizationMembership.objects.get_or_create(
        organization=invitation.organization, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at", "updated_at"])
    if not created:
        raise ServiceError("You are already a member of this organization.", code="already_member")
    logger.info("Invitation %s accepted by user %s.", invitation.pk, user.pk)
    return membership
