"""Writes to organizations, their memberships and invitations.

Owners and admins manage members, but only owners (and staff) hand out or take away the
owner role, and an organization always keeps at least one owner. Inviting by email answers
the same whether or not the address has an account: the address gets a link, and the
membership starts when its account accepts.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from apps.accounts.audit import AuditAction, audit_record, audit_role_changed
from apps.accounts.mfa.policy import mfa_methods_for
from apps.common.errors import ServiceError
from apps.common.invitations import invitation_email_send, invitation_key_new, invitation_redeem
from apps.organizations.models import (
    Organization,
    OrganizationInvitation,
    OrganizationMembership,
    OrganizationRole,
)
from apps.organizations.selectors import organization_role_at_least, organization_role_for_user
from apps.projects.models import ProjectMembership

logger = logging.getLogger(__name__)

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
    require_mfa: bool | None = None,
    actor: Any | None = None,
) -> Organization:
    """Rename, re-slug or re-describe an organization; a taken slug is a field error.

    Turning `require_mfa` on or off is for owners, and only one with a second factor may turn
    it on (else they would lock themselves out at their next sign-in). The change is audited.
    """
    if require_mfa is not None and require_mfa != organization.require_mfa:
        _require_owner_for(
            actor=actor, organization=organization, action="change its sign-in policy"
        )
        if require_mfa and not mfa_methods_for(actor):
            raise ServiceError(
                "Set up two-factor authentication for your own account first.",
                code="mfa_not_enabled",
                status_code=409,
            )
    policy_changed = require_mfa is not None and require_mfa != organization.require_mfa
    if require_mfa is not None:
        organization.require_mfa = require_mfa
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
    if policy_changed:
        audit_record(
            AuditAction.ORGANIZATION_POLICY_CHANGED,
            actor=actor,
            organization=organization,
            require_mfa=organization.require_mfa,
        )
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
    audit_role_changed(
        actor=actor, member=user, organization=organization, old_role=None, new_role=role
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
    old_role = membership.role
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    audit_role_changed(
        actor=actor,
        member=membership.user,
        organization=organization,
        old_role=old_role,
        new_role=role,
    )
    return membership


@transaction.atomic
def organization_member_remove(
    *,
    membership: OrganizationMembership,
    actor: Any,
    keep_project_memberships: Collection[int] = (),
) -> None:
    """Remove a member and their roles on the organization's projects.

    Only owners remove owners; the last owner cannot be removed. Project roles inside the
    organization go too: whoever leaves the organization leaves its projects — except the
    project memberships in `keep_project_memberships` (single sign-on keeps roles a person
    granted by hand when a group takes the organization role away).
    """
    organization = membership.organization
    if membership.role == OrganizationRole.OWNER:
        _require_owner_for(actor=actor, organization=organization, action="remove owners")
        if _other_owners(organization, membership.user_id) == 0:
            raise ServiceError("An organization needs at least one owner.", code="last_owner")
    removed, _ = (
        ProjectMembership.objects.filter(
            project__organization=organization, user_id=membership.user_id
        )
        .exclude(pk__in=list(keep_project_memberships))
        .delete()
    )
    membership.delete()
    audit_role_changed(
        actor=actor,
        member=membership.user,
        organization=organization,
        old_role=membership.role,
        new_role=None,
    )
    logger.info(
        "User %s left organization %s with %s project roles.",
        membership.user_id,
        organization.pk,
        removed,
    )


def organization_invitation_send(
    *, organization: Organization, actor: Any, email: str, role: str
) -> OrganizationInvitation:
    """Email `email` a link to join the organization with `role`; tell the caller nothing.

    The email is the same whether or not the address has an account (or is a member): it
    asks the person to sign in with, or register, an account that uses this address.
    """
    if role == OrganizationRole.OWNER:
        _require_owner_for(actor=actor, organization=organization, action="add owners")
    token, key_hash = invitation_key_new()
    invitation = OrganizationInvitation.objects.create(
        organization=organization,
        email=email.strip(),
        role=role,
        invited_by=actor,
        key_hash=key_hash,
    )
    invitation_email_send(
        invitation=invitation,
        token=token,
        actor=actor,
        kind="organization",
        name=organization.name,
        role=role,
    )
    logger.info("Invitation %s to organization %s sent.", invitation.pk, organization.pk)
    return invitation


def _inviter_may_grant(invitation: OrganizationInvitation) -> bool:
    """The inviter must still be allowed to add a member with the invited role."""
    role = organization_role_for_user(
        organization=invitation.organization, user=invitation.invited_by
    )
    needed = OrganizationRole.OWNER if invitation.role == OrganizationRole.OWNER else "admin"
    return organization_role_at_least(role, needed)


@transaction.atomic
def organization_invitation_accept(*, user: Any, token: str) -> OrganizationMembership:
    """Turn an invitation into a membership of `user`, whose email must be the invited one."""
    invitation = invitation_redeem(
        OrganizationInvitation.objects.select_related("organization", "invited_by"),
        token=token,
        user=user,
        inviter_may_grant=_inviter_may_grant,
    )
    membership, created = OrganizationMembership.objects.get_or_create(
        organization=invitation.organization, user=user, defaults={"role": invitation.role}
    )
    if not created:
        raise ServiceError("You are already a member of this organization.", code="already_member")
    audit_role_changed(
        actor=user,
        member=user,
        organization=invitation.organization,
        old_role=None,
        new_role=invitation.role,
    )
    logger.info("Invitation %s accepted by user %s.", invitation.pk, user.pk)
    return membership
