"""Security metrics over time for a set of projects (the dashboard's or one project's).

Every figure is one grouped query over the projects, whatever their number or size, so the
queries a request makes never grow with rows:

- open findings by severity per day: the daily snapshots (apps.dashboard.snapshots), today
  from the live counts (the rollups on PostgreSQL);
- new vs fixed per ISO week: the 15-minute trend buckets the triggers keep (PostgreSQL), or
  a grouped count of the findings (SQLite);
- time to fix, SLA compliance, age, top rules/CWEs/files, per tool: grouped aggregates over
  the findings resolved in the range or open now (indexed by project and status);
- scanner coverage: the last successful tool run per target.

Days and weeks are UTC. "Fixed" is resolved by a person or by a scan (resolved_at set);
dismissed findings (false positive, accepted risk) are closed but not fixed. Only findings
on the default branch count, as on the dashboard.
"""

from __future__ import annotations

import statistics
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db.models import (
    Aggregate,
    Avg,
    Case,
    Count,
    DateField,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate, TruncWeek
from django.db.models.lookups import LessThan, LessThanOrEqual

from apps.dashboard import snapshots
from apps.dashboard.models import FindingTrendBucket, OpenFindingSnapshot
from apps.dashboard.rollups import rollups_maintained
from apps.dashboard.snapshots import SEVERITIES, open_counts_now, utc_day
from apps.findings.models import OPEN_STATUSES, Finding, FindingStatus, ProjectSla
from apps.findings.sla import SLA_DEFAULT_DAYS, SLA_FIELDS
from apps.scans.models import ScanToolResult, ToolResultStatus
from apps.targets.models import TargetAsset

MAX_RANGE_DAYS = 366
DEFAULT_RANGE_DAYS = 90
DEFAULT_COVERAGE_DAYS = 7
MAX_COVERAGE_DAYS = 365
TOP_N = 10
UNCOVERED_SHOWN = 50
FIXED_STATUSES = (FindingStatus.RESOLVED, FindingStatus.AUTO_RESOLVED)
# A run that analysed its target: complete, with nothing to report, or with per-file errors.
SUCCESSFUL_RUNS = (
    ToolResultStatus.COMPLETED,
    ToolResultStatus.NO_FINDINGS,
    ToolResultStatus.PARTIAL,
)
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-7", 0, 7),
    ("8-30", 8, 30),
    ("31-90", 31, 90),
    ("91+", 91, None),
)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


@dataclass(frozen=True)
class MetricsRange:
    start: date
    end: date  # inclusive

    @property
    def since(self) -> datetime:
        return _midnight(self.start)

    @property
    def before(self) -> datetime:
        return _midnight(self.end + timedelta(days=1))


class _Median(Aggregate):
    """PostgreSQL's exact median of an expression."""

    function = "PERCENTILE_CONT"
    name = "median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


class _SecondsBetween(Func):
    """Seconds from the first timestamp to the second (PostgreSQL)."""

    template = "EXTRACT(EPOCH FROM (%(expressions)s))"
    arg_joiner = " - "
    output_field = FloatField()

    def __init__(self, earlier: Any, later: Any) -> None:
        super().__init__(later, earlier)


class _AddDays(Func):
    """A date plus a whole number of days (PostgreSQL: date + integer; SQLite: date())."""

    output_field = DateField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, template="(%(expressions)s)", arg_joiner=" + ")

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler,
            connection,
            template="date(%(expressions)s || ' days')",
            arg_joiner=", '+' || ",
        )


def _findings(project_ids: list[int]) -> QuerySet[Finding]:
    return Finding.objects.filter(project_id__in=project_ids, on_default_branch=True).order_by()


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
                _findings(project_ids)
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


def _fixed_in(project_ids: list[int], period: MetricsRange) -> QuerySet[Finding]:
    return _findings(project_ids).filter(
        status__in=FIXED_STATUSES,
        resolved_at__gte=period.since,
        resolved_at__lt=period.before,
        first_seen_at__isnull=False,
    )


def time_to_fix(project_ids: list[int], period: MetricsRange) -> list[dict[str, Any]]:
    """Per severity, the findings fixed in the range and the mean and median days from first
    sighting to fix (None when none was fixed)."""
    fixed = _fixed_in(project_ids, period)
    by_severity: dict[str, dict[str, Any]] = {
        s: {"severity": s, "fixed": 0, "mean_days": None, "median_days": None} for s in SEVERITIES
    }
    if rollups_maintained():
        seconds = _SecondsBetween(F("first_seen_at"), F("resolved_at"))
        rows = fixed.values("severity").annotate(
            n=Count("id"), mean=Avg(seconds), median=_Median(seconds)
        )
        for row in rows:
            by_severity[row["severity"]].update(
                fixed=row["n"],
                mean_days=round(float(row["mean"]) / 86400, 2),
                median_days=round(float(row["median"]) / 86400, 2),
            )
    else:  # SQLite: no median in SQL; the durations of the range's fixes are read
        durations: dict[str, list[float]] = {}
        for severity, first_seen, resolved in fixed.values_list(
            "severity", "first_seen_at", "resolved_at"
        ):
            if first_seen is not None and resolved is not None:
                durations.setdefault(severity, []).append((resolved - first_seen).total_seconds())
        for severity, values in durations.items():
            by_severity[severity].update(
                fixed=len(values),
                mean_days=round(statistics.fmean(values) / 86400, 2),
                median_days=round(statistics.median(values) / 86400, 2),
            )
    return [by_severity[s] for s in SEVERITIES]


def _sla_days_expression(project_ids: list[int]) -> Case:
    """Days to fix of each finding's severity in its project (apps.findings.sla: the
    project's ProjectSla, or SLA_DEFAULT_DAYS for a project without one); None: no SLA."""
    configs: dict[tuple[int | None, ...], list[int]] = {}
    with_row = []
    for sla in ProjectSla.objects.filter(project_id__in=project_ids):
        key = tuple(getattr(sla, SLA_FIELDS[s]) for s in SLA_FIELDS)
        configs.setdefault(key, []).append(sla.project_id)
        with_row.append(sla.project_id)
    whens = []
    for key, ids in sorted(configs.items(), key=lambda item: item[1][0]):
        for severity, days in zip(SLA_FIELDS, key, strict=True):
            if days is not None:
                whens.append(When(Q(project_id__in=ids, severity=severity), then=Value(days)))
    for severity, days in SLA_DEFAULT_DAYS.items():
        if days is not None:
            whens.append(When(~Q(project_id__in=with_row) & Q(severity=severity), then=Value(days)))
    return Case(*whens, default=None, output_field=IntegerField())


def _with_due(findings: QuerySet[Finding], project_ids: list[int]) -> QuerySet[Any]:
    """Annotate `due`: the finding's due date, or (where none was set) its first UTC day
    plus its project's days to fix."""
    return findings.annotate(sla_days=_sla_days_expression(project_ids)).annotate(
        due=Coalesce(
            F("due_date"),
            _AddDays(TruncDate("first_seen_at", tzinfo=UTC), F("sla_days")),
            output_field=DateField(),
        )
    )


def sla_compliance(
    project_ids: list[int], period: MetricsRange, today: date
) -> list[dict[str, Any]]:
    """Per severity with a due date: findings fixed in the range, how many by their due day
    (and the share), and the open findings past their due date today."""
    resolved_day = TruncDate("resolved_at", tzinfo=UTC)
    fixed_q = Q(
        status__in=FIXED_STATUSES, resolved_at__gte=period.since, resolved_at__lt=period.before
    )
    open_q = Q(status__in=OPEN_STATUSES)
    rows = (
        _with_due(_findings(project_ids).filter(fixed_q | open_q), project_ids)
        .filter(due__isnull=False)
        .values("severity")
        .annotate(
            fixed=Count("id", filter=fixed_q),
            on_time=Count("id", filter=fixed_q & Q(LessThanOrEqual(resolved_day, F("due")))),
            open_with_due=Count("id", filter=open_q),
            past_due=Count("id", filter=open_q & Q(LessThan(F("due"), Value(today)))),
        )
    )
    by_severity = {row["severity"]: row for row in rows}
    out = []
    for severity in SEVERITIES:
        row = by_severity.get(severity, {})
        fixed, on_time = row.get("fixed", 0), row.get("on_time", 0)
        out.append(
            {
                "severity": severity,
                "fixed": fixed,
                "fixed_on_time": on_time,
                "compliance": round(on_time / fixed, 4) if fixed else None,
                "open_with_due_date": row.get("open_with_due", 0),
                "open_past_due": row.get("past_due", 0),
            }
        )
    return out


def open_age(project_ids: list[int], today: date) -> list[dict[str, Any]]:
    """Open findings by age since first sighting (whole UTC days), per bucket and severity."""
    annotations = {}
    for label, low, high in AGE_BUCKETS:
        condition = Q(first_seen_at__lt=_midnight(today - timedelta(days=low - 1)))
        if high is not None:
            condition &= Q(first_seen_at__gte=_midnight(today - timedelta(days=high)))
        annotations[label] = Count("id", filter=condition)
    rows = {
        row["severity"]: row
        for row in _findings(project_ids)
        .filter(status__in=OPEN_STATUSES, first_seen_at__isnull=False)
        .values("severity")
        .annotate(**annotations)
    }
    buckets = []
    for label, _low, _high in AGE_BUCKETS:
        counts = {s: rows.get(s, {}).get(label, 0) for s in SEVERITIES}
        buckets.append({"bucket": label, "total": sum(counts.values()), **counts})
    return buckets


def _top(findings: QuerySet[Finding], field: str) -> list[dict[str, Any]]:
    rows = (
        findings.exclude(**{f"{field}__isnull": True})
        .values(field)
        .annotate(count=Count("id"))
        .order_by("-count", field)[:TOP_N]
    )
    return [{"key": str(row[field]), "count": row["count"]} for row in rows]


def top_open(project_ids: list[int]) -> dict[str, list[dict[str, Any]]]:
    """The 10 rules, CWEs and files with the most open findings."""
    open_findings = _findings(project_ids).filter(status__in=OPEN_STATUSES)
    return {
        "rules": _top(open_findings.exclude(rule_id=""), "rule_id"),
        "cwes": [
            {"key": f"CWE-{row['key']}", "count": row["count"]}
            for row in _top(open_findings, "cwe")
        ],
        "files": _top(open_findings.exclude(file_path=""), "file_path"),
    }


def per_tool(project_ids: list[int], period: MetricsRange) -> list[dict[str, Any]]:
    """Per tool: its open findings now and the findings it first saw in the range."""
    open_q = Q(status__in=OPEN_STATUSES)
    new_q = Q(first_seen_at__gte=period.since, first_seen_at__lt=period.before)
    rows = (
        _findings(project_ids)
        .filter(open_q | new_q)
        .values("tool__slug", "tool__name")
        .annotate(open=Count("id", filter=open_q), new=Count("id", filter=new_q))
        .order_by("-open", "-new", "tool__slug")
    )
    return [
        {
            "tool": row["tool__slug"] or "",
            "name": row["tool__name"] or "No tool",
            "open": row["open"],
            "new": row["new"],
        }
        for row in rows
    ]


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
    return {
        "from": start,
        "to": end,
        "today": today,
        "timezone": "UTC",
        "generated_at": now,
        "project_count": len(ids),
        "open_by_day": open_by_day(ids, period, today),
        "new_vs_fixed": new_vs_fixed_per_week(ids, period),
        "time_to_fix": time_to_fix(ids, period),
        "sla": sla_compliance(ids, period, today),
        "age": open_age(ids, today),
        "top": top_open(ids),
        "tools": per_tool(ids, period),
        "coverage": scanner_coverage(ids, coverage_days, now),
    }
