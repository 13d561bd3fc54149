"""Writes to projects, their memberships and invitations.

Adding someone by email answers the same whether or not the address has an account: the
address gets a link, and the role starts when its account accepts.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, transaction

from apps.accounts.audit import audit_role_changed
from apps.accounts.scopes import has_staff_reach
from apps.common.errors import ServiceError
from apps.common.invitations import invitation_email_send, invitation_key_new, invitation_redeem
from apps.common.roles import ProjectRole
from apps.organizations.models import Organization, OrganizationMembership, OrganizationRole
from apps.projects.models import Project, ProjectInvitation, ProjectMembership
from apps.projects.selectors import project_role_for_user

logger = logging.getLogger(__name__)

# Who may add members (and so send invitations); the members API's write role.
MEMBER_MANAGER_ROLE = ProjectRole.OWNER


def _name_taken(
    *, name: str, owner_user: Any, organization: Organization | None, exclude_id: int | None = None
) -> bool:
    qs = Project.objects.filter(name=name)
    qs = (
        qs.filter(organization=organization)
        if organization
        else qs.filter(owner_user=owner_user, organization__isnull=True)
    )
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    return qs.exists()


def _check_may_hold_projects(*, user: Any, organization: Organization, verb: str) -> None:
    """Only an organization's owners and admins (or staff) put projects in it or take them out."""
    if has_staff_reach(user):
        return
    allowed = OrganizationMembership.objects.filter(
        organization=organization,
        user=user,
        role__in=[OrganizationRole.OWNER, OrganizationRole.ADMIN],
    ).exists()
    if not allowed:
        raise ServiceError(
            f"Only owners and admins of the organization can {verb} its projects.",
            code="permission_denied",
            status_code=403,
        )


@transaction.atomic
def project_create(
    *, user: Any, name: str, description: str = "", organization: Organization | None = None
) -> Project:
    """Create a project owned by `user`, or by `organization` if the user may act for it.

    The creator of a personal project becomes its owner member. In an organization's project
    the creator's role comes from the organization alone, so it ends with their membership
    there (a direct owner role would outlive a demotion or removal).
    """
    if organization is not None:
        _check_may_hold_projects(user=user, organization=organization, verb="create")
    owner_user = None if organization else user
    if _name_taken(name=name, owner_user=owner_user, organization=organization):
        raise ServiceError(
            "A project with this name already exists for this owner.",
            code="name_taken",
            status_code=400,
        )
    try:
        project = Project.objects.create(
            name=name,
            description=description,
            owner_user=owner_user,
            organization=organization,
            created_by=user,
        )
    except IntegrityError as exc:  # a concurrent create of the same name
        raise ServiceError(
            "A project with this name already exists for this owner.", code="name_taken"
        ) from exc
    if organization is None:
        ProjectMembership.objects.create(project=project, user=user, role=ProjectRole.OWNER)
    return project


_UNCHANGED: Any = object()


@transaction.atomic
def project_update(
    *,
    project: Project,
    user: Any = None,
    name: str | None = None,
    description: str | None = None,
    organization: Organization | None = _UNCHANGED,
) -> Project:
    """Rename, describe or move a project (callers already checked the owner role).

    Moving needs `user` to be an owner or admin of both the organization it leaves and the one
    it joins. Made personal, it belongs to `user`, who becomes its owner member; moved into an
    organization, its direct members keep their roles beside the organization's.
    """
    owner_user, new_organization = project.owner_user, project.organization
    if organization is not _UNCHANGED and organization != project.organization:
        if project.organization is not None:
            _check_may_hold_projects(user=user, organization=project.organization, verb="move")
        if organization is not None:
            _check_may_hold_projects(user=user, organization=organization, verb="move")
        owner_user, new_organization = (None, organization) if organization else (user, None)
    new_name = name if name is not None else project.name
    moved = new_organization != project.organization
    if (moved or new_name != project.name) and _name_taken(
        name=new_name, owner_user=owner_user, organization=new_organization, exclude_id=project.pk
    ):
        raise ServiceError(
            "A project with this name already exists for this owner.", code="name_taken"
        )
    project.name = new_name
    project.owner_user = owner_user
    project.organization = new_organization
    if description is not None:
        project.description = description
    project.save()
    if moved and new_organization is None:
        ProjectMembership.objects.update_or_create(
            project=project, user=user, defaults={"role": ProjectRole.OWNER}
        )
    return project


@transaction.atomic
def project_delete(*, project: Project) -> None:
    """Delete the project (its rows cascade) and, once committed, its report files."""
    from apps.reports.services import report_files_delete_on_commit

    report_files_delete_on_commit(project_id=project.pk)
    project.delete()


def _owners_left(project: Project, excluding_user_id: int) -> int:
    return (
        ProjectMembership.objects.filter(project=project, role=ProjectRole.OWNER)
        .exclude(user_id=excluding_user_id)
        .count()
    )


def _audit_project_role(
    *, actor: Any | None, membership: ProjectMembership, old: str | None, new: str | None
) -> None:
    audit_role_changed(
        actor=actor,
        member=membership.user,
        organization=membership.project.organization,
        project=membership.project,
        old_role=old,
        new_role=new,
    )


def project_member_add(
    *, project: Project, user: Any, role: str, actor: Any | None = None
) -> ProjectMembership:
    membership, created = ProjectMembership.objects.get_or_create(
        project=project, user=user, defaults={"role": role}
    )
    if not created:
        raise ServiceError("This user is already a member of the project.", code="already_member")
    _audit_project_role(actor=actor, membership=membership, old=None, new=role)
    return membership


def project_member_update(
    *, membership: ProjectMembership, role: str, actor: Any | None = None
) -> ProjectMembership:
    if (
        membership.role == ProjectRole.OWNER
        and role != ProjectRole.OWNER
        and membership.project.owner_user_id is None
        and _owners_left(membership.project, membership.user_id) == 0
    ):
        raise ServiceError("A project needs at least one owner.", code="last_owner")
    if (
        membership.role == ProjectRole.OWNER
        and role != ProjectRole.OWNER
        and membership.project.owner_user_id == membership.user_id
    ):
        raise ServiceError("The user who owns the project stays its owner.", code="project_owner")
    old_role = membership.role
    membership.role = role
    membership.save(update_fields=["role", "updated_at"])
    if old_role != role:
        _audit_project_role(actor=actor, membership=membership, old=old_role, new=role)
    return membership


def project_member_remove(*, membership: ProjectMembership, actor: Any | None = None) -> None:
    project = membership.project
    if project.owner_user_id == membership.user_id:
        raise ServiceError(
            "The user who owns the project cannot be removed from it.", code="project_owner"
        )
    if membership.role == ProjectRole.OWNER and _owners_left(project, membership.user_id) == 0:
        raise ServiceError("A project needs at least one owner.", code="last_owner")
    membership.delete()
    _audit_project_role(actor=actor, membership=membership, old=membership.role, new=None)


def project_invitation_send(
    *, project: Project, actor: Any, email: str, role: str
) -> ProjectInvitation:
    """Email `email` a link to join the project with `role`; tell the caller nothing.

    The caller's right to add members was checked by the API; accepting checks it again.
    """
    token, key_hash = invitation_key_new()
    invitation = ProjectInvitation.objects.create(
        project=project, email=email.strip(), role=role, invited_by=actor, key_hash=key_hash
    )
    invitation_email_send(
        invitation=invitation,
        token=token,
        actor=actor,
        kind="project",
        name=project.name,
        role=role,
        link_query="kind=project&",
    )
    logger.info("Invitation %s to project %s sent.", invitation.pk, project.pk)
    return invitation


def _inviter_may_grant(invitation: ProjectInvitation) -> bool:
    """The inviter must still be allowed to add members to the project."""
    role = project_role_for_user(project=invitation.project, user=invitation.invited_by)
    return role == MEMBER_MANAGER_ROLE


@transaction.atomic
def project_invitation_accept(*, user: Any, token: str) -> ProjectMembership:
    """Turn an invitation into a project role of `user`, whose email must be the invited one."""
    invitation = invitation_redeem(
        ProjectInvitation.objects.select_related("project", "invited_by"),
        token=token,
        user=user,
        inviter_may_grant=_inviter_may_grant,
    )
    membership, created = ProjectMembership.objects.get_or_create(
        project=invitation.project, user=user, defaults={"role": invitation.role}
    )
    if not created:
        raise ServiceError("You are already a member of this project.", code="already_member")
    _audit_project_role(actor=user, membership=membership, old=None, new=invitation.role)
    logger.info("Invitation %s accepted by user %s.", invitation.pk, user.pk)
    return membership
