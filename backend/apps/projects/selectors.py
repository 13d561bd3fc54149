"""Reads of projects, always through the caller's role.

A project where the caller has no role is reported as missing (404), never as forbidden,
so ids of other teams' projects reveal nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from rest_framework.exceptions import PermissionDenied

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
    if user.is_staff:
        return Q()
    return Q(**{f"{prefix}memberships__user": user}) | Q(
        **{f"{prefix}organization__memberships__user": user}
    )


def project_ids_for_user(user: Any) -> QuerySet[Project, Any]:
    """A subquery of the ids of every project the user can see."""
    if user.is_staff:
        return Project.objects.values("id")
    direct = ProjectMembership.objects.filter(project=OuterRef("pk"), user=user)
    via_org = OrganizationMembership.objects.filter(
        organization=OuterRef("organization"), user=user
    )
    return Project.objects.filter(Exists(direct) | Exists(via_org)).values("id")


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
        return ProjectRole.OWNER
    org_role = getattr(project, "org_role", None)
    return highest_role(
        getattr(project, "direct_role", None),
        ORG_ROLE_TO_PROJECT_ROLE.get(org_role) if org_role else None,
    )


def project_role_for_user(*, project: Project, user: Any) -> str | None:
    """The caller's effective role: the highest of the project role and the organization's."""
    if user.is_staff:
        return ProjectRole.OWNER
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
    return highest_role(direct, via_org)


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
    if not user.is_staff:
        users = users.filter(
            Q(project_memberships__project__in=project_ids_for_user(user))
            | Q(organization_memberships__organization__memberships__user=user)
        )
    return users.distinct().first()
