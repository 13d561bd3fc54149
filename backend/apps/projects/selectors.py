"""Reads of projects, always through the caller's role.

A project where the caller has no role is reported as missing (404), never as forbidden,
so ids of other teams' projects reveal nothing. Through a project-scoped API key only the
key's project exists, with the role its scopes allow (apps.accounts.scopes), staff included.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from rest_framework.exceptions import PermissionDenied

from apps.accounts.scopes import has_staff_reach, key_project_id, role_capped
from apps.common.roles import ProjectRole, highest_role, role_at_least
from apps.organizations.models import OrganizationMembership, OrganizationRole
from apps.projects.models import Project, ProjectMembership

ORG_ROLE_TO_PROJECT_ROLE: dict[str, str] = {
    OrganizationRole.OWNER: ProjectRole.OWNER,
    OrganizationRole.ADMIN: ProjectRole.OWNER,
    OrganizationRole.MEMBER: ProjectRole.AUDITOR,
}


def project_visibility_q(user: Any, prefix: str = "") -> Q:
    """Q for rows (reached through `prefix`, e.g. "project__") whose project `user` can see."""
    visible = (
        Q()
        if user.is_staff
        else Q(**{f"{prefix}memberships__user": user})
        | Q(**{f"{prefix}organization__memberships__user": user})
    )
    scoped_project_id = key_project_id(user)
    if scoped_project_id is not None:
        visible &= Q(**{f"{prefix}pk": scoped_project_id})
    return visible


def project_ids_for_user(user: Any) -> QuerySet[Project, Any]:
    """A subquery of the ids of every project the user can see."""
    projects = Project.objects.all()
    if not user.is_staff:
        direct = ProjectMembership.objects.filter(project=OuterRef("pk"), user=user)
        via_org = OrganizationMembership.objects.filter(
            organization=OuterRef("organization"), user=user
        )
        projects = projects.filter(Exists(direct) | Exists(via_org))
    scoped_project_id = key_project_id(user)
    if scoped_project_id is not None:
        projects = projects.filter(pk=scoped_project_id)
    return projects.values("id")


def visible_project_q(user: Any, field: str = "project_id") -> Q:
    """Q on `field` (a project id column) for rows the user can see, with the projects
    resolved once here: no condition for staff, the key's project through a project-scoped
    key, else a literal list of ids, which the planner uses like any other filter value."""
    scoped_project_id = key_project_id(user)
    if scoped_project_id is not None and user.is_staff:
        return Q(**{field: scoped_project_id})
    if user.is_staff:
        return Q()
    return Q(**{f"{field}__in": list(project_ids_for_user(user).values_list("id", flat=True))})


def project_list(*, user: Any) -> QuerySet[Project]:
    """Projects the user can see, annotated with the user's direct and organization roles."""
    direct_role = ProjectMembership.objects.filter(project=OuterRef("pk"), user=user).values(
        "role"
    )[:1]
    org_role = OrganizationMembership.objects.filter(
        organization=OuterRef("organization"), user=user
    ).values("role")[:1]
    return (
        Project.objects.filter(id__in=project_ids_for_user(user))
        .select_related("owner_user", "organization")
        .annotate(direct_role=Subquery(direct_role), org_role=Subquery(org_role))
    )


def project_role_from_annotations(*, project: Project, user: Any) -> str | None:
    """The effective role from `project_list`'s annotations, without another query."""
    if user.is_staff:
        return _role_through_key(ProjectRole.OWNER, project=project, user=user)
    org_role = getattr(project, "org_role", None)
    role = highest_role(
        getattr(project, "direct_role", None),
        ORG_ROLE_TO_PROJECT_ROLE.get(org_role) if org_role else None,
    )
    return _role_through_key(role, project=project, user=user)


def _role_through_key(role: str | None, *, project: Project, user: Any) -> str | None:
    """`role`, unless the request's project-scoped key limits it: none outside the key's
    project, at most what its scopes allow inside."""
    scoped_project_id = key_project_id(user)
    if scoped_project_id is not None and project.pk != scoped_project_id:
        return None
    return role_capped(role, user)


def project_role_for_user(*, project: Project, user: Any) -> str | None:
    """The caller's effective role: the highest of the project role and the organization's
    (owner for staff), lowered to what a project-scoped key allows."""
    if user.is_staff:
        return _role_through_key(ProjectRole.OWNER, project=project, user=user)
    direct = (
        ProjectMembership.objects.filter(project=project, user=user)
        .values_list("role", flat=True)
        .first()
    )
    via_org = None
    if project.organization_id:
        org_role = (
            OrganizationMembership.objects.filter(
                organization_id=project.organization_id, user=user
            )
            .values_list("role", flat=True)
            .first()
        )
        via_org = ORG_ROLE_TO_PROJECT_ROLE.get(org_role) if org_role else None
    return _role_through_key(highest_role(direct, via_org), project=project, user=user)


def project_get_for_user(
    *, project_id: Any, user: Any, min_role: str = ProjectRole.AUDITOR
) -> Project:
    """The project if the caller holds at least `min_role`.

    No role at all → 404; a role too low for the action → 403.
    """
    try:
        project = Project.objects.select_related("organization", "owner_user").get(
            pk=int(project_id)
        )
    except (Project.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    role = project_role_for_user(project=project, user=user)
    if role is None:
        raise Http404
    if not role_at_least(role, min_role):
        raise PermissionDenied("Your role in this project does not allow this action.")
    project.caller_role = role  # type: ignore[attr-defined]
    return project


def user_within_reach(*, user: Any, user_id: int) -> Any | None:
    """The active account `user_id` if `user` already sees it in a member list: it shares an
    organization or a visible project with them (staff reach everyone). None otherwise, so
    an unknown id and an outside account look the same."""
    users = get_user_model().objects.filter(pk=user_id, is_active=True)
    if not has_staff_reach(user):
        reach = Q(project_memberships__project__in=project_ids_for_user(user))
        if key_project_id(user) is None:
            reach |= Q(organization_memberships__organization__memberships__user=user)
        users = users.filter(reach)
    return users.distinct().first()
