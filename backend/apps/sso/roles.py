"""Group → role mapping: at each SSO sign-in the user's organization and project roles are
made to match what the provider's groups grant, through the organization and project
services. Only roles SSO granted (an SsoRoleGrant row) are changed or removed; a role a
person granted by hand is left as it is, even when a group would grant another one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction

from apps.common.errors import ServiceError
from apps.common.roles import highest_role
from apps.organizations import services as organization_services
from apps.organizations.models import Organization, OrganizationMembership
from apps.organizations.selectors import ORG_ROLE_RANK
from apps.projects import services as project_services
from apps.projects.models import Project, ProjectMembership
from apps.sso.config import RoleTarget
from apps.sso.models import SsoRoleGrant

logger = logging.getLogger(__name__)

TargetKey = tuple[str, str | None]  # (organization slug, project name or None)


def groups_from_claims(extra_data: dict[str, Any], claim: str) -> list[str]:
    """The groups an IdP sent: OIDC userinfo or ID token claim, or a SAML attribute."""
    sources = [extra_data.get("userinfo"), extra_data.get("id_token"), extra_data]
    for source in sources:
        if isinstance(source, dict) and claim in source:
            value = source[claim]
            if isinstance(value, str):
                return [value]
            if isinstance(value, list):
                return [str(item) for item in value if isinstance(item, (str, int))]
    return []


def desired_roles(
    groups: Iterable[str], mapping: dict[str, tuple[RoleTarget, ...]]
) -> dict[TargetKey, str]:
    """Each target's role; when several groups grant one target, the highest role wins."""
    wanted: dict[TargetKey, str] = {}
    for group in groups:
        for target in mapping.get(group, ()):
            key = (target.organization, target.project)
            current = wanted.get(key)
            if target.project:
                wanted[key] = highest_role(current, target.role) or target.role
            elif current is None or ORG_ROLE_RANK[target.role] > ORG_ROLE_RANK[current]:
                wanted[key] = target.role
    return wanted


def _grant_key(grant: SsoRoleGrant) -> TargetKey:
    if grant.organization_membership_id:
        membership = grant.organization_membership
        assert membership is not None
        return (membership.organization.slug, None)
    project_membership = grant.project_membership
    assert project_membership is not None
    project = project_membership.project
    return (project.organization.slug if project.organization else "", project.name)


def _apply_organization(*, user: Any, provider_id: str, slug: str, role: str) -> None:
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        logger.warning("SSO role mapping names organization %r, which does not exist.", slug)
        return
    membership = OrganizationMembership.objects.filter(organization=organization, user=user).first()
    if membership is None:
        membership = organization_services.organization_member_add(
            organization=organization, actor=None, user=user, role=role
        )
        SsoRoleGrant.objects.create(
            user=user, provider_id=provider_id, organization_membership=membership
        )
    elif hasattr(membership, "sso_grant") and membership.role != role:
        organization_services.organization_member_update(
            membership=membership, actor=None, role=role
        )


def _apply_project(*, user: Any, provider_id: str, slug: str, name: str, role: str) -> None:
    project = Project.objects.filter(organization__slug=slug, name=name).first()
    if project is None:
        logger.warning("SSO role mapping names project %r of %r, which does not exist.", name, slug)
        return
    membership = ProjectMembership.objects.filter(project=project, user=user).first()
    if membership is None:
        membership = project_services.project_member_add(project=project, user=user, role=role)
        SsoRoleGrant.objects.create(
            user=user, provider_id=provider_id, project_membership=membership
        )
    elif hasattr(membership, "sso_grant") and membership.role != role:
        project_services.project_member_update(membership=membership, role=role)


def _revoke(grant: SsoRoleGrant) -> None:
    if grant.organization_membership is not None:
        membership = grant.organization_membership
        hand_granted = ProjectMembership.objects.filter(
            project__organization_id=membership.organization_id,
            user_id=membership.user_id,
            sso_grant__isnull=True,
        ).values_list("pk", flat=True)
        organization_services.organization_member_remove(
            membership=membership, actor=None, keep_project_memberships=list(hand_granted)
        )
    elif grant.project_membership is not None:
        project_services.project_member_remove(membership=grant.project_membership)


@transaction.atomic
def sso_roles_sync(
    *,
    user: Any,
    provider_id: str,
    groups: Iterable[str],
    mapping: dict[str, tuple[RoleTarget, ...]],
) -> dict[TargetKey, str]:
    """Make the user's SSO-granted roles from this provider match `groups`; returns what the
    groups grant. Organization roles first, so a project role finds its organization."""
    wanted = desired_roles(groups, mapping)
    grants = SsoRoleGrant.objects.filter(user=user, provider_id=provider_id).select_related(
        "organization_membership__organization",
        "project_membership__project__organization",
    )
    for grant in list(grants):
        if _grant_key(grant) not in wanted:
            if not SsoRoleGrant.objects.filter(pk=grant.pk).exists():
                continue  # went with its organization membership a moment ago
            try:
                _revoke(grant)
            except ServiceError as exc:
                logger.warning("SSO could not take back a role of user %s: %s", user.pk, exc)
    ordered = sorted(wanted.items(), key=lambda item: item[0][1] is not None)
    for (slug, project_name), role in ordered:
        try:
            if project_name is None:
                _apply_organization(user=user, provider_id=provider_id, slug=slug, role=role)
            else:
                _apply_project(
                    user=user, provider_id=provider_id, slug=slug, name=project_name, role=role
                )
        except ServiceError as exc:
            logger.warning("SSO could not grant a role to user %s: %s", user.pk, exc)
    return wanted
