"""Query-string filters and stable ordering for the findings list.

Related objects (project, target, scan, assignee) are filtered by plain ids, so an id the
caller cannot see yields an empty list instead of revealing that it exists.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

import django_filters
from django.db.models import Exists, OuterRef, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.settings import api_settings

from apps.common.filters import IsoDateTimeFilter
from apps.common.ids import IdFilter, is_valid_id
from apps.findings.models import (
    OPEN_STATUSES,
    SEVERITY_RANK,
    Finding,
    FindingEvent,
    FindingEventType,
    FindingOccurrence,
    FindingStatus,
    Severity,
)
from apps.findings.sightings import ranges_seen_by_scan, seen_by_scan
from apps.findings.sla import overdue_q
from apps.scans.filters import CommaArrayWidget

MULTI_HELP = "One or more values (repeat the parameter or separate with commas)."
# Fields the list's free-text `search` looks in (also used by bulk changes by filter); each
# has a pg_trgm index on PostgreSQL (migration findings 0006). Not the description: see
# FindingFilter.
FINDING_SEARCH_FIELDS = ["title", "file_path", "rule_id", "cve", "package_name"]


def finding_search(findings: QuerySet[Finding], search: str) -> QuerySet[Finding]:
    """`findings` narrowed by the list's `search` exactly as the list reads it (DRF's
    SearchFilter over FINDING_SEARCH_FIELDS: its term splitting, quoted phrases, every term
    in one of the fields), for callers outside the list view such as bulk changes."""
    request = SimpleNamespace(query_params={api_settings.SEARCH_PARAM: search})
    view = SimpleNamespace(search_fields=FINDING_SEARCH_FIELDS)
    return SearchFilter().filter_queryset(request, findings, view)  # type: ignore[arg-type]


# The list's open/closed switch. Open is what the dashboard counts as open.
FINDING_STATES = ("open", "closed", "all")
_CWE = re.compile(r"^\s*(?:cwe[-_: ]?)?0*(\d{1,9})\s*$", re.IGNORECASE)


def state_statuses(state: str) -> list[str]:
    """The statuses a state of the switch covers (open ones, or every other)."""
    if state == "open":
        return list(OPEN_STATUSES)
    if state == "closed":
        return [status for status in FindingStatus.values if status not in OPEN_STATUSES]
    return list(FindingStatus.values)


def cwe_number(value: str) -> int:
    """The number of a CWE written as the list shows it (CWE-89), in lower case or bare."""
    match = _CWE.match(value)
    if match is None:
        raise ValidationError({"cwe": ["Give a CWE such as CWE-89 or 89."]})
    return int(match.group(1))


class ChoicesInFilter(django_filters.MultipleChoiceFilter):
    """One or more choices of a column of the row itself, as one `IN (...)`: an index
    condition, where django-filter's OR-ed equalities are not; and no SELECT DISTINCT, which
    would sort every match to serve a page."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", CommaArrayWidget)
        kwargs.setdefault("label", MULTI_HELP)
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        if not value:
            return qs
        return qs.filter(**{f"{self.field_name}__in": sorted(set(value))})


class SeverityFilter(ChoicesInFilter):
    """Severities, also as their ranks: ingest writes severity_rank from severity, and the
    rank condition lets the (severity_rank, id) index count and page "the criticals"."""

    def filter(self, qs: QuerySet, value: Any) -> QuerySet:
        if not value:
            return qs
        ranks = sorted({SEVERITY_RANK[severity] for severity in value})
        return super().filter(qs, value).filter(severity_rank__in=ranks)


class FindingFilter(django_filters.FilterSet):
    """The findings list's filters.

    `search` (DRF's SearchFilter over FINDING_SEARCH_FIELDS, case-insensitive substrings) is
    served on PostgreSQL by one trigram GIN index per column. The description is not
    searched: trigram indexes are the costliest part of writing a finding (measured on 100,000
    inserted findings: the five short columns' indexes take index upkeep from about 4-5 s to
    11-12 s, a description index alone adds about 8 s more with descriptions of only 65
    characters), and without an index one unindexed column in the OR turns every search into
    a scan of the whole table (2-4 s at 1,000,000 findings).
    """

    project = IdFilter(field_name="project_id")
    severity = SeverityFilter(choices=Severity.choices)
    status = ChoicesInFilter(choices=FindingStatus.choices)
    tool = django_filters.CharFilter(method="filter_tool", label="Tool id or slug.")
    target = IdFilter(field_name="target_id")
    assignee = django_filters.CharFilter(
        method="filter_assignee", label='User id, "me" or "none" (unassigned).'
    )
    cwe = django_filters.CharFilter(
        method="filter_cwe", label="CWE, as the list shows it or as a number: CWE-79, cwe-79, 79."
    )
    state = django_filters.ChoiceFilter(
        choices=[(state, state) for state in FINDING_STATES],
        method="filter_state",
        label="open: new, confirmed or reopened, on the default branch (what the dashboard "
        "counts); closed: dismissed or resolved; all (the default): no condition.",
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", label="true: open findings past their due date; false: others."
    )
    cve = django_filters.CharFilter(lookup_expr="iexact")
    rule_id = django_filters.CharFilter()
    first_seen_after = IsoDateTimeFilter(field_name="first_seen_at", lookup_expr="gte")
    first_seen_before = IsoDateTimeFilter(field_name="first_seen_at", lookup_expr="lte")
    last_seen_after = IsoDateTimeFilter(field_name="last_seen_at", lookup_expr="gte")
    last_seen_before = IsoDateTimeFilter(field_name="last_seen_at", lookup_expr="lte")
    scan = IdFilter(
        method="filter_scan", label="Findings seen (with an occurrence) in this scan id."
    )
    first_seen_scan = IdFilter(field_name="first_seen_scan_id", label="New in this scan id.")
    resolved_in_scan = IdFilter(field_name="resolved_in_scan_id", label="Resolved by this scan id.")
    on_default_branch = django_filters.TypedChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        coerce=lambda value: value == "true",
        label="true: findings on the default branch; false: seen only by scans of other refs.",
    )

    class Meta:
        model = Finding
        fields = [
            "project",
            "severity",
            "status",
            "tool",
            "target",
            "assignee",
            "cwe",
            "cve",
            "rule_id",
            "state",
            "overdue",
            "first_seen_after",
            "first_seen_before",
            "last_seen_after",
            "last_seen_before",
            "scan",
            "first_seen_scan",
            "resolved_in_scan",
            "on_default_branch",
        ]

    def filter_tool(self, queryset: QuerySet[Finding], name: str, value: str) -> QuerySet[Finding]:
        value = value.strip()
        if value.isdigit():
            if not is_valid_id(value):
                raise ValidationError({"tool": ["Not a valid id."]})
            return queryset.filter(tool_id=int(value))
        return queryset.filter(tool__slug=value)

    def filter_assignee(
        self, queryset: QuerySet[Finding], name: str, value: str
    ) -> QuerySet[Finding]:
        value = value.strip().lower()
        if value == "me":
            return queryset.filter(assignee_id=self.request.user.pk)  # type: ignore[union-attr]
        if value == "none":
            return queryset.filter(assignee__isnull=True)
        if is_valid_id(value):
            return queryset.filter(assignee_id=int(value))
        raise ValidationError({"assignee": ['Use a user id, "me" or "none".']})

    def filter_scan(self, queryset: QuerySet[Finding], name: str, value: int) -> QuerySet[Finding]:
        return queryset.filter(seen_by_scan(int(value)))

    def filter_cwe(self, queryset: QuerySet[Finding], name: str, value: str) -> QuerySet[Finding]:
        return queryset.filter(cwe=cwe_number(value))

    def filter_state(self, queryset: QuerySet[Finding], name: str, value: str) -> QuerySet[Finding]:
        statuses = state_statuses(value)
        if value == "open":
            return queryset.filter(status__in=statuses, on_default_branch=True)
        return queryset if value == "all" else queryset.filter(status__in=statuses)

    def filter_overdue(
        self, queryset: QuerySet[Finding], name: str, value: bool | None
    ) -> QuerySet[Finding]:
        if value is None:
            return queryset
        return queryset.filter(overdue_q()) if value else queryset.exclude(overdue_q())


class FindingEventFilter(django_filters.FilterSet):
    event_type = django_filters.MultipleChoiceFilter(
        choices=FindingEventType.choices, widget=CommaArrayWidget, label=MULTI_HELP
    )
    actor = IdFilter(field_name="actor_id")

    class Meta:
        model = FindingEvent
        fields = ["event_type", "actor"]


class FindingOccurrenceFilter(django_filters.FilterSet):
    scan = IdFilter(method="filter_scan", label="Sighting ranges that include this scan id.")

    class Meta:
        model = FindingOccurrence
        fields = ["scan"]

    def filter_scan(
        self, queryset: QuerySet[FindingOccurrence], name: str, value: int
    ) -> QuerySet[FindingOccurrence]:
        return queryset.filter(Exists(ranges_seen_by_scan(int(value)).filter(pk=OuterRef("pk"))))


class StableOrderingFilter(OrderingFilter):
    """Ordering that ends with the id, so pages never repeat or skip rows that tie. The id
    runs the first field's way, so one index on (field, id) serves both directions."""

    def get_ordering(self, request: Any, queryset: Any, view: Any) -> Any:
        ordering = super().get_ordering(request, queryset, view)
        if not ordering:
            return ordering
        ordering = list(ordering)
        for index, field in enumerate(ordering):
            if field.lstrip("-") in ("id", "pk"):
                return ordering[: index + 1]
        ordering.append("-id" if ordering[0].startswith("-") else "id")
        return ordering
