"""Dashboard aggregates over every project the caller can see.

Each figure is one grouped query over the visible projects (no per-project or per-day loop),
so the page stays fast at a million findings: counts by (severity, status), new findings per
day by `first_seen_at`, resolved findings per day by `resolved_at`.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate
from django.utils.timezone import now

from apps.accounts.selectors import profile_get_for_user
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


def _visible_findings(user: Any) -> QuerySet[Finding]:
    """The findings the counts cover: on the default branch of a project `user` can see
    (what only branch or pull-request scans have seen is compared, not counted)."""
    return Finding.objects.filter(project_id__in=project_ids_for_user(user), on_default_branch=True)


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


def dashboard_summary(*, user: Any, days: int = TREND_DAYS) -> DashboardSummary:
    """Everything the dashboard shows for `user`, limited to the projects they can see."""
    tz = _caller_timezone(user)
    visible = _visible_findings(user)

    by_status = dict.fromkeys(FindingStatus.values, 0)
    open_by_severity = dict.fromkeys(Severity.values, 0)
    grouped = visible.values("severity", "status").annotate(count=Count("id")).order_by()
    for row in grouped:
        by_status[row["status"]] = by_status.get(row["status"], 0) + row["count"]
        if row["status"] in OPEN_STATUSES:
            open_by_severity[row["severity"]] = (
                open_by_severity.get(row["severity"], 0) + row["count"]
            )

    today = now().astimezone(tz).date()
    first_day = today - timedelta(days=days - 1)
    since = datetime.combine(first_day, datetime.min.time(), tzinfo=tz)
    new_per_day = _daily_counts(visible, "first_seen_at", since, tz)
    resolved_per_day = _daily_counts(visible, "resolved_at", since, tz)
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
            results=list(
                assigned.order_by("-severity_rank", "-last_seen_at", "-id")[:ASSIGNED_SHOWN]
            ),
        ),
        project_count=project_ids_for_user(user).count(),
    )
