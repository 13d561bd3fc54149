"""Security metrics over time for a set of projects (the dashboard's or one project's).

Every figure is one grouped query over rows kept per project, whatever the projects' number
or size, so the queries a request makes never grow with rows and never read the findings
(PostgreSQL):

- open findings by severity per day: the daily snapshots (apps.dashboard.snapshots), today
  from the live counts (FindingCount, kept by triggers);
- new vs fixed per ISO week: the 15-minute trend buckets the triggers keep;
- time to fix, SLA compliance, age, top rules/CWEs/files, per tool: the metric rollups the
  worker rewrites when a project's findings change (apps.dashboard.metric_rollups; read by
  apps.dashboard.metrics_stored), exact as of `as_of`, the oldest time any of the projects'
  rollups was computed;
- scanner coverage: the last successful tool run per target.

On SQLite (no triggers, no worker-kept rows) the same figures are counted from the findings
(apps.dashboard.metrics_live) and `as_of` is the request's time.

Days and weeks are UTC. "Fixed" is resolved by a person or by a scan (resolved_at set);
dismissed findings (false positive, accepted risk) are closed but not fixed. Only findings
on the default branch count, as on the dashboard.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Exists, F, Max, OuterRef, Q, Sum
from django.db.models.functions import TruncWeek

from apps.dashboard import metrics_live, metrics_stored, snapshots
from apps.dashboard.metric_rollups import metrics_rollups_version
from apps.dashboard.metrics_common import (
    DEFAULT_COVERAGE_DAYS,
    DEFAULT_RANGE_DAYS,
    FIXED_STATUSES,
    MAX_COVERAGE_DAYS,
    MAX_RANGE_DAYS,
    UNCOVERED_SHOWN,
    MetricsRange,
    default_branch_findings,
)
from apps.dashboard.models import FindingTrendBucket, OpenFindingSnapshot
from apps.dashboard.rollups import rollups_maintained
from apps.dashboard.snapshots import SEVERITIES, open_counts_now, utc_day
from apps.scans.models import ScanToolResult, ToolResultStatus
from apps.targets.models import TargetAsset

__all__ = [
    "DEFAULT_COVERAGE_DAYS",
    "DEFAULT_RANGE_DAYS",
    "FIXED_STATUSES",
    "MAX_COVERAGE_DAYS",
    "MAX_RANGE_DAYS",
    "MetricsRange",
    "metrics_for_projects",
]

# A run that analysed its target: complete, with nothing to report, or with per-file errors.
SUCCESSFUL_RUNS = (
    ToolResultStatus.COMPLETED,
    ToolResultStatus.NO_FINDINGS,
    ToolResultStatus.PARTIAL,
)


def open_by_day(project_ids: list[int], period: MetricsRange, today: date) -> list[dict[str, Any]]:
    """Open findings by severity at the end of each day of the range: stored snapshots for
    past days (None where none was recorded), the live counts for today."""
    totals = {
        row["day"]: row
        for row in OpenFindingSnapshot.objects.filter(
            project_id__in=project_ids, day__gte=period.start, day__lte=min(period.end, today)
        )
        .exclude(day=today)
        .values("day")
        .annotate(**{severity: Sum(severity) for severity in SEVERITIES})
        .order_by()
    }
    if period.start <= today <= period.end:
        live = dict.fromkeys(SEVERITIES, 0)
        for project_counts in open_counts_now(project_ids).values():
            for severity, n in project_counts.items():
                live[severity] += n
        totals[today] = {"day": today, **live}
    days = []
    day = period.start
    while day <= period.end and day <= today:
        row = totals.get(day)
        counts: dict[str, int | None] = {s: (int(row[s]) if row else None) for s in SEVERITIES}
        total = sum(n for n in counts.values() if n is not None) if row else None
        days.append({"date": day, "recorded": row is not None, "total": total, **counts})
        day += timedelta(days=1)
    return days


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def new_vs_fixed_per_week(project_ids: list[int], period: MetricsRange) -> list[dict[str, Any]]:
    """Findings first seen and fixed within the range, per ISO week (Monday to Sunday; the
    first and last weeks count only their days inside the range)."""
    new: dict[date, int] = {}
    fixed: dict[date, int] = {}
    if rollups_maintained():
        rows = (
            FindingTrendBucket.objects.filter(
                project_id__in=project_ids, bucket__gte=period.since, bucket__lt=period.before
            )
            .annotate(week=TruncWeek("bucket", tzinfo=UTC))
            .values("week")
            .annotate(new=Sum("new_count"), fixed=Sum("resolved_count"))
            .order_by()
        )
        for row in rows:
            week = row["week"].date() if isinstance(row["week"], datetime) else row["week"]
            new[week], fixed[week] = int(row["new"]), int(row["fixed"])
    else:
        for field, into in (("first_seen_at", new), ("resolved_at", fixed)):
            counted = (
                default_branch_findings(project_ids)
                .filter(**{f"{field}__gte": period.since, f"{field}__lt": period.before})
                .annotate(week=TruncWeek(field, tzinfo=UTC))
                .values("week")
                .annotate(n=Count("id"))
            )
            for row in counted:
                week = row["week"].date() if isinstance(row["week"], datetime) else row["week"]
                into[week] = into.get(week, 0) + row["n"]
    weeks = []
    week = _week_start(period.start)
    while week <= period.end:
        iso = week.isocalendar()
        weeks.append(
            {
                "week": f"{iso.year}-W{iso.week:02d}",
                "start": week,
                "new": new.get(week, 0),
                "fixed": fixed.get(week, 0),
            }
        )
        week += timedelta(days=7)
    return weeks


def scanner_coverage(project_ids: list[int], days: int, now: datetime) -> dict[str, Any]:
    """Active targets without a successful tool run in the last `days` days (the most
    recent first, the never-scanned last), out of all active targets."""
    since = now - timedelta(days=days)
    targets = (
        TargetAsset.objects.filter(project_id__in=project_ids, is_active=True)
        .order_by()
        .annotate(
            last_success=Max(
                "tool_results__finished_at",
                filter=Q(tool_results__status__in=SUCCESSFUL_RUNS),
            )
        )
    )
    recent = ScanToolResult.objects.filter(
        target=OuterRef("pk"), status__in=SUCCESSFUL_RUNS, finished_at__gte=since
    )
    uncovered = targets.filter(~Exists(recent))
    counts = TargetAsset.objects.filter(project_id__in=project_ids, is_active=True).aggregate(
        total=Count("id"),
        uncovered=Count("id", filter=~Exists(recent)),
    )
    rows = uncovered.values(
        "id", "name", "asset_type", "project_id", "project__name", "last_success"
    ).order_by(F("last_success").desc(nulls_last=True), "id")[:UNCOVERED_SHOWN]
    return {
        "days": days,
        "targets": counts["total"],
        "uncovered_count": counts["uncovered"],
        "uncovered": [
            {
                "id": row["id"],
                "name": row["name"],
                "asset_type": row["asset_type"],
                "project_id": row["project_id"],
                "project_name": row["project__name"],
                "last_successful_run_at": row["last_success"],
            }
            for row in rows
        ],
    }


# The figures read from the metric rollups are kept in the cache under their rows' version:
# any recompute of any of the projects changes the key, so a hit is what a read would give
# (tool names aside, which the timeout bounds).
STORED_CACHE_SECONDS = 10 * 60


def _figures(source: Any, ids: list[int], period: MetricsRange, today: date) -> dict[str, Any]:
    return {
        "time_to_fix": source.time_to_fix(ids, period),
        "sla": source.sla_compliance(ids, period, today),
        "age": source.open_age(ids, today),
        "top": source.top_open(ids),
        "tools": source.per_tool(ids, period),
    }


def _stored_figures(
    ids: list[int], period: MetricsRange, today: date
) -> tuple[datetime | None, dict[str, Any]]:
    """(as_of, the figures) from the rollups, or from the cache when their rows are unchanged."""
    as_of, version = metrics_rollups_version(ids)
    scope = json.dumps([ids, str(period.start), str(period.end), str(today), version])
    key = "dashboard:metrics-stored:" + hashlib.sha256(scope.encode()).hexdigest()
    figures = cache.get(key)
    if figures is None:
        figures = _figures(metrics_stored, ids, period, today)
        cache.set(key, figures, timeout=STORED_CACHE_SECONDS)
    return as_of, figures


def metrics_for_projects(
    *,
    project_ids: Collection[int],
    start: date | None = None,
    end: date | None = None,
    coverage_days: int = DEFAULT_COVERAGE_DAYS,
) -> dict[str, Any]:
    """Every metric for `project_ids` (already limited to what the caller may see) over
    the UTC days `start`..`end` (default: the last 90 days)."""
    now = snapshots.utc_now()
    today = utc_day(now)
    end = end or today
    start = start or end - timedelta(days=DEFAULT_RANGE_DAYS - 1)
    period = MetricsRange(start=start, end=end)
    ids = sorted(project_ids)
    if rollups_maintained():
        as_of, stored = _stored_figures(ids, period, today)
    else:
        as_of, stored = now, _figures(metrics_live, ids, period, today)
    return {
        "from": start,
        "to": end,
        "today": today,
        "timezone": "UTC",
        "generated_at": now,
        "as_of": as_of or now,
        "project_count": len(ids),
        "open_by_day": open_by_day(ids, period, today),
        "new_vs_fixed": new_vs_fixed_per_week(ids, period),
        **stored,
        "coverage": scanner_coverage(ids, coverage_days, now),
    }
