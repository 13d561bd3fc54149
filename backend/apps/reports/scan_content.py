"""The facts only a scan report has: the scan's tool runs and what this scan changed.

Every tool run is listed with its status, including the ones that failed, timed out, were
skipped or analysed nothing: a report that hides a tool that never looked would claim more
than the scan did.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet

from apps.findings.models import Finding, FindingEvent, FindingEventType
from apps.reports.findings_table import CHANGE_CAP, finding_rows
from apps.scans.models import Scan, ScanToolResult, ToolResultStatus

# Runs that did not analyse their target, said in plain words in the report.
_NOT_ANALYSED: dict[str, str] = {
    ToolResultStatus.FAILED: "failed: its target was not analysed",
    ToolResultStatus.TIMED_OUT: "timed out: its target was not (fully) analysed",
    ToolResultStatus.SKIPPED: "skipped: its target was not analysed",
    ToolResultStatus.CANCELLED: "cancelled: its target was not analysed",
    ToolResultStatus.PENDING: "never ran",
    ToolResultStatus.RUNNING: "still running when the report was made",
}


def scan_tool_runs(scan: Scan) -> list[dict[str, Any]]:
    runs = []
    for row in (
        ScanToolResult.objects.filter(scan=scan)
        .order_by("tool__slug", "target__name", "id")
        .values(
            "tool__slug",
            "tool__name",
            "target__name",
            "status",
            "findings_count",
            "duration_ms",
            "error_message",
            "coverage",
        )
    ):
        status = row["status"]
        note = _NOT_ANALYSED.get(status, "")
        coverage = row["coverage"] if isinstance(row["coverage"], dict) else {}
        if not note and coverage.get("analysed") == 0:
            note = f"analysed no {coverage.get('unit') or 'input'}: it looked at nothing"
        runs.append(
            {
                "tool": row["tool__name"] or row["tool__slug"],
                "target": row["target__name"] or "",
                "status": status,
                "findings": row["findings_count"],
                "seconds": round(row["duration_ms"] / 1000, 1) if row["duration_ms"] else None,
                "note": note,
                "coverage": coverage.get("summary") or "",
                "ok": not note,
            }
        )
    return runs


def scan_facts(scan: Scan, findings: QuerySet[Finding], today: date) -> dict[str, Any]:
    """The scan's runs and the findings it first saw, fixed and reopened."""
    project_findings = Finding.objects.filter(project_id=scan.project_id)
    new = project_findings.filter(first_seen_scan=scan).order_by("-severity_rank", "id")
    fixed = project_findings.filter(resolved_in_scan=scan).order_by("-severity_rank", "id")
    reopened = project_findings.filter(
        id__in=FindingEvent.objects.filter(scan=scan, event_type=FindingEventType.REOPENED).values(
            "finding_id"
        )
    ).order_by("-severity_rank", "id")
    runs = scan_tool_runs(scan)
    changes: dict[str, Any] = {"since": None}
    for name, queryset in (("new", new), ("fixed", fixed), ("reopened", reopened)):
        changes[name] = {
            "count": queryset.count(),
            "rows": finding_rows(queryset, today, CHANGE_CAP),
        }
    return {
        "tool_runs": runs,
        "tool_runs_not_ok": sum(1 for run in runs if not run["ok"]),
        "changes": changes,
        "scan_findings_total": findings.count(),
    }
