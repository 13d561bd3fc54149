"""The metrics computed from the findings themselves: the SQLite path (no rollups there), and
the reference the stored rollups (apps.dashboard.metrics_stored) are tested against on
PostgreSQL. Grouped aggregates over the findings fixed in the range or open now.
"""

from __future__ import annotations

import statistics
from datetime import UTC, date, timedelta
from typing import Any

from django.db.models import (
    Aggregate,
    Avg,
    Case,
    Count,
    DateField,
    F,
    FloatField,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.lookups import LessThan, LessThanOrEqual

from apps.dashboard.metrics_common import (
    AGE_BUCKETS,
    FIXED_STATUSES,
    TOP_N,
    MetricsRange,
    default_branch_findings,
    midnight,
)
from apps.dashboard.rollups import rollups_maintained
from apps.dashboard.snapshots import SEVERITIES
from apps.findings.models import OPEN_STATUSES, Finding, ProjectSla
from apps.findings.sla import SLA_DEFAULT_DAYS, SLA_FIELDS


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


def _fixed_in(project_ids: list[int], period: MetricsRange) -> QuerySet[Finding]:
    return default_branch_findings(project_ids).filter(
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
        _with_due(default_branch_findings(project_ids).filter(fixed_q | open_q), project_ids)
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
        condition = Q(first_seen_at__lt=midnight(today - timedelta(days=low - 1)))
        if high is not None:
            condition &= Q(first_seen_at__gte=midnight(today - timedelta(days=high)))
        annotations[label] = Count("id", filter=condition)
    rows = {
        row["severity"]: row
        for row in default_branch_findings(project_ids)
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
    open_findings = default_branch_findings(project_ids).filter(status__in=OPEN_STATUSES)
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
        default_branch_findings(project_ids)
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
