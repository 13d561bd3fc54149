"""Reads of organizations and their members, always through the caller's role.

An organization the caller does not belong to is reported as missing (404), never as
forbidden, so the ids of other organizations reveal nothing. Staff act as owners everywhere.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.http import Http404
from rest_framework.exceptions import PermissionDenied

from apps.accounts.scopes import has_staff_reach
from apps.organizations.models import Organization, OrganizationMembership, OrganizationRole

ORG_ROLE_RANK: dict[str, int] = {
    OrganizationRole.MEMBER: 1,
    OrganizationRole.ADMIN: 2,
    OrganizationRole.OWNER: 3,
}


def organization_role_at_least(role: str | None, required: str) -> bool:
    """True when the organization role `role` grants at least what `required` does."""
    return role is not None and ORG_ROLE_RANK[role] >= ORG_ROLE_RANK[required]


def organization_role_for_user(*, organization: Organization, user: Any) -> str | None:
    """The caller's role in the organization; staff count as owners."""
    if has_staff_reach(user):
        return OrganizationRole.OWNER
    role = (
        OrganizationMembership.objects.filter(organization=organization, user=user)
        .values_list("role", flat=True)
        .first()
    )
    return str(role) if role else None


def organization_list(*, user: Any) -> QuerySet[Organization]:
    """Organizations the user belongs to (all of them for staff), with the caller's role
    (`member_role`) and the number of members annotated."""
    member_role = OrganizationMembership.objects.filter(
        organization=OuterRef("pk"), user=user
    ).values("role")[:1]
    queryset = Organization.objects.all()
    if not has_staff_reach(user):
        # Exists, not a join: a join would also narrow the member count to the caller's row.
        queryset = queryset.filter(
            Exists(OrganizationMembership.objects.filter(organization=OuterRef("pk"), user=user))
        )
    return queryset.annotate(
        member_role=Subquery(member_role),
        member_count=Count("memberships", distinct=True),
    )


def organization_get_for_user(
    *, organization_id: Any, user: Any, min_role: str = OrganizationRole.MEMBER
) -> Organization:
    """The organization if the caller holds at least `min_role` in it.

    Not a member → 404; a role too low for the action → 403. The caller's role is left on
    the object as `caller_role`.
    """
    try:
        organization = Organization.objects.annotate(
            member_count=Count("memberships", distinct=True)
        ).get(pk=int(organization_id))
    except (Organization.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    role = organization_role_for_user(organization=organization, user=user)
    if role is None:
        raise Http404
    if not organization_role_at_least(role, min_role):
        raise PermissionDenied("Your role in this organization does not allow this action.")
    organization.caller_role = role  # type: ignore[attr-defined]
    return organization


def organization_member_list(*, organization: Organization) -> QuerySet[OrganizationMembership]:
    """Members of an organization obtained from `organization_get_for_user`, which has
    already checked that the caller may see them."""
    return OrganizationMembership.objects.filter(organization=organization).select_related("user")


def organization_member_get(
    *, organization: Organization, membership_id: Any
) -> OrganizationMembership:
    """One membership of an already role-checked organization; 404 when it is not there."""
    try:
        return organization_member_list(organization=organization).get(pk=int(membership_id))
    except (OrganizationMembership.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
