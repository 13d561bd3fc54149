"""Reads of findings, their occurrences and their history, always through the caller's role.

A finding in a project where the caller has no role is reported as missing (404); a role too
low for the action (an auditor trying to triage) is forbidden (403).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, QueryDict
from django_filters.constants import EMPTY_VALUES
from rest_framework.exceptions import PermissionDenied, ValidationError

from apps.common.counting import bounded_count
from apps.common.roles import ProjectRole, role_at_least
from apps.dashboard.rollups import rollup_finding_count, rollups_maintained
from apps.findings.filters import FindingFilter, finding_search, state_statuses
from apps.findings.models import Finding, FindingEvent, FindingOccurrence
from apps.organizations.models import OrganizationMembership
from apps.projects.models import Project, ProjectMembership
from apps.projects.selectors import (
    project_ids_for_user,
    project_role_for_user,
    visible_project_q,
)

# The columns FindingListSerializer shows, and of its related rows only what their summaries
# show: the rest (long text, evidence, a tool's JSON schema, a target's metadata, a user's
# password hash) is never read, decoded or turned into Python for a page. The detail loads
# everything.
LIST_COLUMNS = (
    "id", "project", "title", "severity", "severity_rank", "confidence", "status",
    "on_default_branch", "tool", "rule_id", "target", "cwe", "cve", "file_path", "line_start",
    "line_end", "url", "parameter", "package_name", "package_version", "image",
    "first_seen_at", "last_seen_at", "resolved_at", "assignee", "due_date", "tags",
    "project__name", "tool__slug", "tool__name", "target__name", "target__asset_type",
    "assignee__username", "assignee__email", "assignee__first_name", "assignee__last_name",
)  # fmt: skip
# The list's filters that the dashboard's rollups count by (apps.dashboard.models.FindingCount).
ROLLUP_FILTERS = ("project", "severity", "status", "on_default_branch")


def finding_list(*, user: Any) -> QuerySet[Finding]:
    """Findings of every project `user` can see, with what the list shows joined in."""
    return finding_list_columns(Finding.objects.filter(visible_project_q(user)))


def finding_list_columns(findings: QuerySet[Finding]) -> QuerySet[Finding]:
    """`findings` with their relations joined and only LIST_COLUMNS loaded."""
    return findings.select_related("project", "tool", "target", "assignee").only(*LIST_COLUMNS)


def finding_list_count(
    *, user: Any, queryset: QuerySet[Finding], filters: dict[str, Any] | None, search: str
) -> tuple[int, bool]:
    """The list's total as (count, exact). `queryset` is the filtered list, `filters` the
    request's cleaned FindingFilter values (None if unknown) and `search` its search text.
    When nothing but project, severity, status and branch filters the list, the dashboard's
    rollups hold the total exactly at any size (one sum, no read of the findings); any
    other filter or a search is counted by `bounded_count` on `queryset`."""
    rollup = _rollup_filters(filters, search)
    if rollup is None:
        return bounded_count(queryset)
    project_ids = project_ids_for_user(user)
    if rollup["project"] is not None:
        project_ids = project_ids.filter(pk=rollup["project"])
    total = rollup_finding_count(
        project_ids=project_ids,
        severities=rollup["severity"] or (),
        statuses=rollup["status"] or (),
        on_default_branch=rollup["on_default_branch"],
    )
    return total, True


def _rollup_filters(filters: dict[str, Any] | None, search: str) -> dict[str, Any] | None:
    """`filters` reduced to ROLLUP_FILTERS (None for each one unset) if the rollups count by
    every filter that is set and there is no search; else None. Severity is counted by name:
    ingest writes the rank from it, so the list's rank condition changes nothing. The
    open/closed switch (`state`) is a set of statuses (and, for open, the default branch)."""
    if filters is None or not rollups_maintained() or search.replace(",", " ").split():
        return None
    counted = (*ROLLUP_FILTERS, "state")
    if any(value not in EMPTY_VALUES for name, value in filters.items() if name not in counted):
        return None
    rollup = {
        name: filters.get(name) if filters.get(name) not in EMPTY_VALUES else None
        for name in ROLLUP_FILTERS
    }
    state = filters.get("state")
    if state in ("open", "closed"):
        statuses = state_statuses(state)
        if rollup["status"]:
            statuses = [status for status in statuses if status in rollup["status"]]
        if not statuses:
            return None  # nothing matches: counted (0) by the query, not as "any status"
        rollup["status"] = statuses
        if state == "open":
            if rollup["on_default_branch"] is False:
                return None
            rollup["on_default_branch"] = True
    return rollup


def finding_export_project_name(*, user: Any, project_id: Any) -> str | None:
    """The name of the project an export is filtered to, for its file name; None when the
    filter is not one plain id of a project the caller can see (so the name never leaks)."""
    if not str(project_id or "").strip().isdigit():
        return None
    return (
        Project.objects.filter(pk=int(project_id), pk__in=project_ids_for_user(user))
        .values_list("name", flat=True)
        .first()
    )


def finding_get_for_user(
    *, user: Any, finding_id: Any, min_role: str = ProjectRole.AUDITOR
) -> Finding:
    """One finding with its relations loaded, if the caller holds at least `min_role` in its
    project. No role → 404; a lower role → 403."""
    try:
        finding = Finding.objects.select_related(
            "project",
            "tool",
            "target",
            "assignee",
            "first_seen_scan",
            "last_seen_scan",
            "resolved_in_scan",
        ).get(pk=int(finding_id))
    except (Finding.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
    role = project_role_for_user(project=finding.project, user=user)
    if role is None:
        raise Http404
    if not role_at_least(role, min_role):
        raise PermissionDenied("Your role in this project does not allow this action.")
    return finding


def finding_event_list(*, user: Any, finding_id: Any) -> QuerySet[FindingEvent]:
    """The audit trail of a finding the caller can see, oldest first."""
    finding = finding_get_for_user(user=user, finding_id=finding_id)
    return FindingEvent.objects.filter(finding=finding).select_related("actor")


def finding_occurrence_list(*, user: Any, finding_id: Any) -> QuerySet[FindingOccurrence]:
    """The sighting ranges of a finding the caller can see, the one seen last first, with
    their scans, tool and target loaded."""
    finding = finding_get_for_user(user=user, finding_id=finding_id)
    return (
        FindingOccurrence.objects.filter(finding=finding)
        .select_related("scan", "last_scan", "tool_result__tool", "tool_result__target")
        .order_by("-last_scan_id", "-id")
    )


def finding_bulk_selection(
    *,
    user: Any,
    request: Any,
    ids: list[int] | None = None,
    filters: dict[str, Any] | None = None,
) -> QuerySet[Finding]:
    """The findings a bulk change applies to, among those `user` can see.

    By `ids`: every id must be visible, else 404 (like reaching for one finding by id). By
    `filters`: the list's own query parameters (severity, status, tool, ..., search), checked
    by the same filter set, so the change hits exactly what the list showed.
    """
    visible = Finding.objects.filter(visible_project_q(user))
    if ids is not None:
        wanted = set(ids)
        selection = visible.filter(pk__in=wanted)
        if selection.count() != len(wanted):
            raise Http404
        return selection
    params = QueryDict(mutable=True)
    search = ""
    for name, value in (filters or {}).items():
        if name == "search":
            search = str(value)
            continue
        if name not in FindingFilter.base_filters:
            raise ValidationError({f"filter.{name}": ["Not a filter of the findings list."]})
        for item in value if isinstance(value, list) else [value]:
            params.appendlist(name, str(item))
    filterset = FindingFilter(data=params, queryset=visible, request=request)
    if not filterset.is_valid():
        raise ValidationError(
            {f"filter.{name}": list(errors) for name, errors in filterset.errors.items()}
        )
    return finding_search(filterset.qs, search)


# More projects than this in one selection: no assignee can be offered (narrow the filter).
ASSIGNABLE_MAX_PROJECTS = 50


def finding_assignable_users(
    *, findings: QuerySet[Finding], any_project: bool = False
) -> QuerySet[Any]:
    """Active users with a role (directly or through the organization) in every project of
    `findings` (already limited to what the caller sees): whom a bulk change may assign
    them to. With `any_project`, in any one of those projects instead: whom the list's
    assignee filter offers. Staff without a membership are not offered: they see no member
    list either."""
    users = get_user_model().objects.filter(is_active=True)
    if any_project:
        # Each project probed for a finding (an index read), not every finding read.
        in_view = Project.objects.filter(
            Exists(findings.order_by().filter(project_id=OuterRef("pk")))
        )
        role = Exists(
            ProjectMembership.objects.filter(project__in=in_view.values("pk"), user=OuterRef("pk"))
        ) | Exists(
            OrganizationMembership.objects.filter(
                organization__in=in_view.values("organization_id"), user=OuterRef("pk")
            )
        )
        return users.filter(role).order_by("username")
    projects = list(
        Project.objects.filter(pk__in=findings.order_by().values("project_id")).values_list(
            "pk", "organization_id"
        )[: ASSIGNABLE_MAX_PROJECTS + 1]
    )
    if not projects or len(projects) > ASSIGNABLE_MAX_PROJECTS:
        return users.none()
    for project_id, organization_id in projects:
        role = Q(
            Exists(ProjectMembership.objects.filter(project_id=project_id, user=OuterRef("pk")))
        )
        if organization_id is not None:
            role |= Q(
                Exists(
                    OrganizationMembership.objects.filter(
                        organization_id=organization_id, user=OuterRef("pk")
                    )
                )
            )
        users = users.filter(role)
    return users.order_by("username")
