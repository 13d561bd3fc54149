"""The metrics read from the stored rollups (apps.dashboard.metric_rollups, PostgreSQL): each
figure one grouped query over a few rows per project, never the findings. The same figures
as apps.dashboard.metrics_live, except that the median time to fix is of durations kept in
whole seconds (shown in days to 0.01, i.e. 864 s, so the figure only moves on a tie within a
second).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import connection
from django.db.models import F, IntegerField, Q, Sum
from django.db.models.functions import Cast

from apps.dashboard.metrics_common import AGE_BUCKETS, TOP_N, MetricsRange
from apps.dashboard.models import (
    FixedFindingDay,
    NewFindingDay,
    OpenFindingDay,
    OpenFindingGroup,
)
from apps.dashboard.snapshots import SEVERITIES
from apps.tools.models import ToolDefinition

_MEDIAN_SECONDS = (
    "SELECT d.severity, percentile_cont(0.5) WITHIN GROUP (ORDER BY s.seconds::float8) "
    "FROM dashboard_fixedfindingday d "
    "CROSS JOIN LATERAL unnest(d.fix_seconds) AS s(seconds) "
    "WHERE d.project_id = ANY(%s) AND d.resolved_day >= %s AND d.resolved_day <= %s "
    "GROUP BY d.severity"
)


def _fixed_days(project_ids: list[int], period: MetricsRange) -> Any:
    return FixedFindingDay.objects.filter(
        project_id__in=project_ids, resolved_day__gte=period.start, resolved_day__lte=period.end
    ).order_by()


def time_to_fix(project_ids: list[int], period: MetricsRange) -> list[dict[str, Any]]:
    """Per severity, the findings fixed in the range and the mean and median days from first
    sighting to fix (None when none was fixed)."""
    by_severity: dict[str, dict[str, Any]] = {
        s: {"severity": s, "fixed": 0, "mean_days": None, "median_days": None} for s in SEVERITIES
    }
    sums = (
        _fixed_days(project_ids, period)
        .values("severity")
        .annotate(n=Sum("fixed_count"), seconds=Sum("fix_seconds_sum"))
    )
    with connection.cursor() as cursor:
        cursor.execute(_MEDIAN_SECONDS, [list(project_ids), period.start, period.end])
        medians = dict(cursor.fetchall())
    for row in sums:
        n = int(row["n"] or 0)
        if row["severity"] in by_severity and n:
            by_severity[row["severity"]].update(
                fixed=n,
                mean_days=round(float(row["seconds"]) / n / 86400, 2),
                median_days=round(float(medians[row["severity"]]) / 86400, 2),
            )
    return [by_severity[s] for s in SEVERITIES]


def sla_compliance(
    project_ids: list[int], period: MetricsRange, today: date
) -> list[dict[str, Any]]:
    """Per severity with a due date: findings fixed in the range, how many by their due day
    (and the share), and the open findings past their due date today."""
    fixed = {
        row["severity"]: row
        for row in _fixed_days(project_ids, period)
        .values("severity")
        .annotate(fixed=Sum("due_count"), on_time=Sum("on_time_count"))
    }
    open_rows = {
        row["severity"]: row
        for row in OpenFindingDay.objects.filter(project_id__in=project_ids, due_day__isnull=False)
        .order_by()
        .values("severity")
        .annotate(
            with_due=Sum("open_count"),
            past_due=Sum("open_count", filter=Q(due_day__lt=today)),
        )
    }
    out = []
    for severity in SEVERITIES:
        n = int(fixed.get(severity, {}).get("fixed") or 0)
        on_time = int(fixed.get(severity, {}).get("on_time") or 0)
        out.append(
            {
                "severity": severity,
                "fixed": n,
                "fixed_on_time": on_time,
                "compliance": round(on_time / n, 4) if n else None,
                "open_with_due_date": int(open_rows.get(severity, {}).get("with_due") or 0),
                "open_past_due": int(open_rows.get(severity, {}).get("past_due") or 0),
            }
        )
    return out


def open_age(project_ids: list[int], today: date) -> list[dict[str, Any]]:
    """Open findings by age since first sighting (whole UTC days), per bucket and severity."""
    annotations = {}
    for label, low, high in AGE_BUCKETS:
        condition = Q(first_seen_day__lte=today - timedelta(days=low))
        if high is not None:
            condition &= Q(first_seen_day__gte=today - timedelta(days=high))
        annotations[label] = Sum("open_count", filter=condition)
    rows = {
        row["severity"]: row
        for row in OpenFindingDay.objects.filter(
            project_id__in=project_ids, first_seen_day__isnull=False
        )
        .order_by()
        .values("severity")
        .annotate(**annotations)
    }
    buckets = []
    for label, _low, _high in AGE_BUCKETS:
        counts = {s: int(rows.get(s, {}).get(label) or 0) for s in SEVERITIES}
        buckets.append({"bucket": label, "total": sum(counts.values()), **counts})
    return buckets


def _top(project_ids: list[int], kind: str) -> list[dict[str, Any]]:
    # CWEs tie-break by number (89 before 259), as the live query orders them.
    tie = Cast("key", IntegerField()) if kind == "cwe" else F("key")
    rows = (
        OpenFindingGroup.objects.filter(project_id__in=project_ids, kind=kind)
        .values("key")
        .annotate(count=Sum("open_count"))
        .order_by("-count", tie)[:TOP_N]
    )
    return [{"key": row["key"], "count": int(row["count"])} for row in rows]


def top_open(project_ids: list[int]) -> dict[str, list[dict[str, Any]]]:
    """The 10 rules, CWEs and files with the most open findings."""
    return {
        "rules": _top(project_ids, "rule"),
        "cwes": [
            {"key": f"CWE-{row['key']}", "count": row["count"]} for row in _top(project_ids, "cwe")
        ],
        "files": _top(project_ids, "file"),
    }


def per_tool(project_ids: list[int], period: MetricsRange) -> list[dict[str, Any]]:
    """Per tool: its open findings now and the findings it first saw in the range."""
    counts: dict[int | None, dict[str, int]] = {}
    open_rows = (
        OpenFindingGroup.objects.filter(project_id__in=project_ids, kind="tool")
        .values("key")
        .annotate(n=Sum("open_count"))
        .order_by()
    )
    for row in open_rows:
        tool_id = int(row["key"]) if row["key"] else None
        counts.setdefault(tool_id, {"open": 0, "new": 0})["open"] = int(row["n"])
    new_rows = (
        NewFindingDay.objects.filter(
            project_id__in=project_ids,
            first_seen_day__gte=period.start,
            first_seen_day__lte=period.end,
        )
        .values("tool_id")
        .annotate(n=Sum("new_count"))
        .order_by()
    )
    for row in new_rows:
        counts.setdefault(row["tool_id"], {"open": 0, "new": 0})["new"] = int(row["n"])
    tools = {
        tool.pk: tool
        for tool in ToolDefinition.objects.filter(
            pk__in=[pk for pk in counts if pk is not None]
        ).only("pk", "slug", "name")
    }
    rows: list[dict[str, Any]] = []
    for tool_id, n in counts.items():
        if not (n["open"] or n["new"]):
            continue
        tool = tools.get(tool_id) if tool_id is not None else None
        rows.append(
            {
                "tool": tool.slug if tool else "",
                "name": tool.name if tool else "No tool",
                "open": n["open"],
                "new": n["new"],
            }
        )
    rows.sort(key=lambda row: (-row["open"], -row["new"], row["tool"]))
    return rows
