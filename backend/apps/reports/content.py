"""What a report says: the facts gathered for the template, for a project or for one scan.

Figures over time come from `apps.dashboard.metrics.metrics_for_projects` (the same numbers
as the dashboard); the lists are read here with a fixed number of queries whatever the
project's size (see findings_table). "What changed" compares with the previous ready report
of the same project and kind: findings first seen, fixed and reopened since it was made
(since the period's start for a first report).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from django.db.models import Count, QuerySet

from apps.dashboard.metrics import FIXED_STATUSES, metrics_for_projects
from apps.findings.models import (
    OPEN_STATUSES,
    Finding,
    FindingEvent,
    FindingEventType,
    FindingStatus,
    Severity,
)
from apps.reports import charts
from apps.reports.findings_table import (
    CHANGE_CAP,
    accepted_risks,
    finding_rows,
    findings_section,
)
from apps.reports.models import Report, ReportKind, ReportStatus
from apps.reports.scan_content import scan_facts

SEVERITIES = [choice.value for choice in Severity]


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def previous_report(report: Report) -> Report | None:
    """The last ready report of the same project, kind (and scan) made before this one."""
    return (
        Report.objects.filter(
            project_id=report.project_id,
            kind=report.kind,
            status=ReportStatus.READY,
            created_at__lt=report.created_at,
        )
        .exclude(pk=report.pk)
        .order_by("-created_at", "-id")
        .first()
    )


def open_by_severity(findings: QuerySet[Finding]) -> list[dict[str, Any]]:
    counts = dict(
        findings.filter(status__in=OPEN_STATUSES)
        .order_by()
        .values_list("severity")
        .annotate(n=Count("id"))
    )
    return [{"severity": s, "count": counts.get(s, 0)} for s in SEVERITIES]


def changes_since(findings: QuerySet[Finding], since: datetime, today: date) -> dict[str, Any]:
    """Findings first seen, fixed and reopened since `since`: counts and the first few."""
    new = findings.filter(first_seen_at__gte=since).order_by("-severity_rank", "id")
    fixed = findings.filter(status__in=FIXED_STATUSES, resolved_at__gte=since).order_by(
        "-severity_rank", "id"
    )
    reopened_ids = FindingEvent.objects.filter(
        finding__in=findings, event_type=FindingEventType.REOPENED, created_at__gte=since
    ).values("finding_id")
    reopened = findings.filter(id__in=reopened_ids).order_by("-severity_rank", "id")
    out: dict[str, Any] = {"since": since}
    for name, queryset in (("new", new), ("fixed", fixed), ("reopened", reopened)):
        out[name] = {
            "count": queryset.count(),
            "rows": finding_rows(queryset, today, CHANGE_CAP),
        }
    return out


def _charts(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """The four charts, each with the table of its numbers."""
    days = metrics["open_by_day"]
    shown = [d for d in days if d["recorded"]]
    day_series = [
        charts.Series(s.capitalize(), charts.SEVERITY_COLOURS[s], [d[s] or 0 for d in shown])
        for s in SEVERITIES
    ]
    day_table = [d for i, d in enumerate(shown) if i % 7 == 0 or i == len(shown) - 1]
    weeks = metrics["new_vs_fixed"]
    ages = metrics["age"]
    tools = metrics["tools"][:12]
    return [
        {
            "id": "open-by-day",
            "title": "Open findings by severity per day",
            "svg": charts.bar_chart(
                title="Open findings by severity per day",
                description="Stacked bars: open findings at the end of each recorded UTC day.",
                categories=[d["date"].strftime("%m-%d") for d in shown],
                series=day_series,
                stacked=True,
                label_every=max(1, len(shown) // 8),
            ),
            "note": "Every 7th recorded day and the last one; days without a snapshot are left "
            "out.",
            "headers": ["Day", *[s.capitalize() for s in SEVERITIES], "Total"],
            "rows": [
                [d["date"].isoformat(), *[d[s] or 0 for s in SEVERITIES], d["total"] or 0]
                for d in day_table
            ],
        },
        {
            "id": "new-vs-fixed",
            "title": "New vs fixed per week",
            "svg": charts.bar_chart(
                title="New vs fixed findings per ISO week",
                description="Pairs of bars: findings first seen and findings fixed each week.",
                categories=[w["week"].split("-")[1] for w in weeks],
                series=[
                    charts.Series("New", "#dc2626", [w["new"] for w in weeks]),
                    charts.Series("Fixed", "#16a34a", [w["fixed"] for w in weeks]),
                ],
                label_every=max(1, len(weeks) // 14),
            ),
            "headers": ["Week", "New", "Fixed"],
            "rows": [[w["week"], w["new"], w["fixed"]] for w in weeks],
        },
        {
            "id": "age",
            "title": "Age of open findings (days since first seen)",
            "svg": charts.bar_chart(
                title="Age of open findings",
                description="Stacked bars: open findings per age bucket in days, by severity.",
                categories=[a["bucket"] for a in ages],
                series=[
                    charts.Series(s.capitalize(), charts.SEVERITY_COLOURS[s], [a[s] for a in ages])
                    for s in SEVERITIES
                ],
                stacked=True,
            ),
            "headers": ["Days", *[s.capitalize() for s in SEVERITIES], "Total"],
            "rows": [[a["bucket"], *[a[s] for s in SEVERITIES], a["total"]] for a in ages],
        },
        {
            "id": "per-tool",
            "title": "Findings per tool",
            "svg": charts.bar_chart(
                title="Open and new findings per tool",
                description="Pairs of bars per tool: its open findings now and the findings "
                "it first saw in the period.",
                categories=[t["tool"] or "none" for t in tools],
                series=[
                    charts.Series("Open", "#dc2626", [t["open"] for t in tools]),
                    charts.Series("New in period", "#3b82f6", [t["new"] for t in tools]),
                ],
            ),
            "headers": ["Tool", "Open", "New in period"],
            "rows": [[t["name"], t["open"], t["new"]] for t in metrics["tools"]],
        },
    ]


def _plain_summary(summary: dict[str, Any]) -> str:
    """One paragraph a manager can read without the tables."""
    worst = [f"{row['count']} {row['severity']}" for row in summary["open"] if row["count"]][:3]
    text = f"{summary['open_total']} findings are open"
    text += f" ({', '.join(worst)})." if worst else "."
    text += (
        f" In the period, {summary['new']} were first seen and {summary['fixed']} fixed;"
        f" {summary['overdue']} open findings are past their due date."
    )
    coverage = summary["coverage"]
    if coverage["uncovered_count"]:
        text += (
            f" {coverage['uncovered_count']} of {coverage['targets']} active targets had no "
            f"successful scan in the last {coverage['days']} days."
        )
    elif coverage["targets"]:
        text += f" Every active target was scanned in the last {coverage['days']} days."
    return text


def report_context(report: Report) -> dict[str, Any]:
    """Everything the template shows for `report` (a project or a scan report)."""
    project = report.project
    now = datetime.now(UTC)
    today = now.date()
    findings = Finding.objects.filter(project=project, on_default_branch=True)
    scan = report.scan if report.kind == ReportKind.SCAN else None
    if scan is not None:
        findings = Finding.objects.filter(project=project, occurrences__scan=scan).distinct()
    opened = findings.filter(status__in=OPEN_STATUSES)
    by_severity = open_by_severity(findings)
    open_total = sum(row["count"] for row in by_severity)
    previous = previous_report(report)
    context: dict[str, Any] = {
        "report": report,
        "project": project,
        "scan": scan,
        "generated_at": now,
        "requested_by": report.requested_by.username if report.requested_by else "a schedule",
        "previous": previous,
        "findings": findings_section(opened, open_total, today),
        "accepted": accepted_risks(findings, today),
        "accepted_total": findings.filter(status=FindingStatus.ACCEPTED_RISK).count(),
    }
    if scan is not None:
        context.update(scan_facts(scan, findings, today))
        context["summary"] = {"open": by_severity, "open_total": open_total}
        return context
    metrics = metrics_for_projects(
        project_ids=[project.pk], start=report.period_start, end=report.period_end
    )
    since = previous.created_at if previous else _midnight(report.period_start)
    summary = {
        "open": by_severity,
        "open_total": open_total,
        "new": sum(w["new"] for w in metrics["new_vs_fixed"]),
        "fixed": sum(w["fixed"] for w in metrics["new_vs_fixed"]),
        "sla": [row for row in metrics["sla"] if row["fixed"] or row["open_with_due_date"]],
        "overdue": sum(row["open_past_due"] for row in metrics["sla"]),
        "coverage": metrics["coverage"],
    }
    summary["plain"] = _plain_summary(summary)
    context.update(
        summary=summary,
        charts=_charts(metrics),
        changes=changes_since(findings, since, today),
        first_report=previous is None,
    )
    return context
