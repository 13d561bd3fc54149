"""Dashboard aggregates over every project the caller can see.

The caller's projects are resolved once; each figure is then one grouped query over them (no
per-project or per-day loop). On PostgreSQL the counts and the trend read the rollups that
triggers keep at write time (apps.dashboard.rollups), so their cost does not grow with the
number of findings. On SQLite they are grouped queries over the findings themselves: counts
by (severity, status), new per day by `first_seen_at`, resolved per day by `resolved_at`.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils.timezone import now

from apps.accounts.selectors import profile_get_for_user
from apps.dashboard.models import FindingCount, FindingTrendBucket
from apps.dashboard.rollups import rollups_maintained
from apps.findings.models import OPEN_STATUSES, Finding, FindingStatus, Severity
from apps.findings.selectors import finding_list
from apps.projects.selectors import project_ids_for_user
from apps.scans.models import Scan
from apps.scans.selectors import scan_list

TREND_DAYS = 30
RECENT_SCANS = 10
ASSIGNED_SHOWN = 10


@dataclass
class AssignedToMe:
    count: int
    results: list[Finding]


@dataclass
class DashboardSummary:
    timezone: str
    open_by_severity: dict[str, int]
    by_status: dict[str, int]
    total: int
    open_total: int
    trend: list[dict[str, Any]]
    recent_scans: list[Scan]
    assigned_to_me: AssignedToMe
    project_count: int
    generated_at: datetime = field(default_factory=now)


def _caller_timezone(user: Any) -> zoneinfo.ZoneInfo:
    name = profile_get_for_user(user=user).timezone or "UTC"
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _visible_findings(project_ids: list[int]) -> QuerySet[Finding]:
    """The findings the counts cover: on the default branch of the given projects (what
    only branch or pull-request scans have seen is compared, not counted)."""
    return Finding.objects.filter(project_id__in=project_ids, on_default_branch=True)


def _counts_by_severity_and_status(project_ids: list[int]) -> list[dict[str, Any]]:
    """Rows of severity, status and count over the visible findings."""
    if rollups_maintained():
        rows = FindingCount.objects.filter(project_id__in=project_ids, on_default_branch=True)
        return list(rows.values("severity", "status").annotate(count=Sum("count")).order_by())
    grouped = _visible_findings(project_ids).values("severity", "status")
    return list(grouped.annotate(count=Count("id")).order_by())


def _daily_counts(
    findings: QuerySet[Finding], date_field: str, since: datetime, tz: zoneinfo.ZoneInfo
) -> dict[date, int]:
    """{day: count} of findings whose `date_field` falls on that day (in `tz`) since `since`."""
    rows = (
        findings.filter(**{f"{date_field}__gte": since})
        .annotate(day=TruncDate(date_field, tzinfo=tz))
        .values("day")
        .annotate(count=Count("id"))
        .order_by()
    )
    return {row["day"]: row["count"] for row in rows}


def _new_and_resolved_per_day(
    project_ids: list[int], since: datetime, tz: zoneinfo.ZoneInfo
) -> tuple[dict[date, int], dict[date, int]]:
    """({day: new}, {day: resolved}) in `tz` since `since` (a midnight in `tz`, which is
    always on a 15-minute bucket's edge, so the buckets add up to exact days)."""
    if not rollups_maintained():
        visible = _visible_findings(project_ids)
        return (
            _daily_counts(visible, "first_seen_at", since, tz),
            _daily_counts(visible, "resolved_at", since, tz),
        )
    rows = (
        FindingTrendBucket.objects.filter(project_id__in=project_ids, bucket__gte=since)
        .annotate(day=TruncDate("bucket", tzinfo=tz))
        .values("day")
        .annotate(new=Sum("new_count"), resolved=Sum("resolved_count"))
        .order_by()
    )
    new: dict[date, int] = {}
    resolved: dict[date, int] = {}
    for row in rows:
        new[row["day"]], resolved[row["day"]] = row["new"], row["resolved"]
    return new, resolved


def dashboard_summary(*, user: Any, days: int = TREND_DAYS) -> DashboardSummary:
    """Everything the dashboard shows for `user`, limited to the projects they can see."""
    tz = _caller_timezone(user)
    project_ids = list(project_ids_for_user(user).order_by().values_list("id", flat=True))

    by_status = dict.fromkeys(FindingStatus.values, 0)
    open_by_severity = dict.fromkeys(Severity.values, 0)
    for row in _counts_by_severity_and_status(project_ids):
        by_status[row["status"]] = by_status.get(row["status"], 0) + row["count"]
        if row["status"] in OPEN_STATUSES:
            open_by_severity[row["severity"]] = (
                open_by_severity.get(row["severity"], 0) + row["count"]
            )

    today = now().astimezone(tz).date()
    first_day = today - timedelta(days=days - 1)
    since = datetime.combine(first_day, datetime.min.time(), tzinfo=tz)
    new_per_day, resolved_per_day = _new_and_resolved_per_day(project_ids, since, tz)
    trend = [
        {
            "date": day,
            "new": new_per_day.get(day, 0),
            "resolved": resolved_per_day.get(day, 0),
        }
        for day in (first_day + timedelta(days=offset) for offset in range(days))
    ]

    assigned = finding_list(user=user).filter(assignee=user, status__in=OPEN_STATUSES)
    return DashboardSummary(
        timezone=str(tz),
        open_by_severity=open_by_severity,
        by_status=by_status,
        total=sum(by_status.values()),
        open_total=sum(open_by_severity.values()),
        trend=trend,
        recent_scans=list(scan_list(user=user)[:RECENT_SCANS]),
        assigned_to_me=AssignedToMe(
            count=assigned.count(),
            results=list(assigned.order_by("-severity_rank", "-id")[:ASSIGNED_SHOWN]),
        ),
        project_count=len(project_ids),
    )
