"""Reads of issue groups and their members, always through the caller's role."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from rest_framework.exceptions import PermissionDenied

from apps.common.roles import ProjectRole, role_at_least
from apps.findings.models import Finding, IssueGroup
from apps.findings.selectors import finding_list_columns
from apps.projects.selectors import project_role_for_user, visible_project_q


def issue_group_list(*, user: Any) -> QuerySet[IssueGroup]:
    """Issue groups of every project `user` can see, with their project's name."""
    return IssueGroup.objects.filter(visible_project_q(user)).select_related("project")


def issue_group_get_for_user(
    *, user: Any, group_id: Any, min_role: str = ProjectRole.AUDITOR
) -> IssueGroup:
    """One group, if the caller holds at least `min_role` in its project. No role → 404;
    a lower role → 403."""
    try:
        group = IssueGroup.objects.select_related("project").get(pk=int(group_id))
    except (IssueGroup.DoesNotExist, ValueError, TypeError, OverflowError) as exc:
        raise Http404 from exc
    role = project_role_for_user(project=group.project, user=user)
    if role is None:
        raise Http404
    if not role_at_least(role, min_role):
        raise PermissionDenied("Your role in this project does not allow this action.")
    return group


def issue_group_member_list(*, user: Any, group_id: Any) -> QuerySet[Finding]:
    """The findings of a group the caller can see, with what the findings list shows."""
    group = issue_group_get_for_user(user=user, group_id=group_id)
    return finding_list_columns(Finding.objects.filter(group_membership__group=group))


def issue_groups_with_member_in(
    groups: QuerySet[IssueGroup], findings: QuerySet[Finding]
) -> QuerySet[IssueGroup]:
    """`groups` narrowed to those with at least one member among `findings` (a filtered
    findings list): the grouped list's reading of the flat list's filters. The condition is
    correlated (each group's members, through IssueGroupMember, joined to the findings), so a
    page of groups probes its members instead of first collecting every matching finding."""
    members = findings.order_by().filter(group_membership__group_id=OuterRef("pk"))
    return groups.filter(Exists(members))
