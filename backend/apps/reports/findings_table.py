"""The findings a report lists: the worst ones in detail, the rest counted per rule and file.

A PDF cannot lay out 100,000 table rows in a worker's time and memory budget, and nobody
reads them on paper: the report lists up to `DETAIL_CAP` open findings in detail (worst
severity first, then oldest), and counts the rest per severity, tool, rule and file
(`SUMMARY_CAP` groups at most). The report says how many were left out and that the CSV
export has every one.

Rows are read as dicts of plain columns (`values`), one query for the detail and one grouped
query for the rest, whatever the number of findings. Like the exports, a report never shows a
finding's snippet or evidence; titles go through the secret masking once more (token shapes,
private key blocks), in case a value slipped past the masking at ingest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Max, OuterRef, QuerySet, Subquery

from apps.findings.models import Finding, FindingEvent, FindingEventType, FindingStatus
from apps.findings.secrets import mask_text

DETAIL_CAP = 500
SUMMARY_CAP = 100
# Accepted risks listed (soonest expiry first); the rest are counted.
ACCEPTED_CAP = 100
CHANGE_CAP = 50

_ROW_FIELDS = (
    "id", "severity", "status", "title", "rule_id", "tool__slug", "target__name", "file_path",
    "line_start", "url", "http_method", "parameter", "package_name", "package_version", "image",
    "first_seen_at", "resolved_at", "assignee__username", "due_date", "accepted_until",
    "status_reason", "cwe", "cve",
)  # fmt: skip


def location_of(row: dict[str, Any]) -> str:
    """Where a finding is, in the words of its kind: file:line, METHOD URL (parameter),
    package@version (image), or the target."""
    if row.get("file_path"):
        line = row.get("line_start")
        return f"{row['file_path']}:{line}" if line else row["file_path"]
    if row.get("url"):
        where = f"{row.get('http_method') or ''} {row['url']}".strip()
        return f"{where} ({row['parameter']})" if row.get("parameter") else where
    if row.get("package_name"):
        package = row["package_name"]
        if row.get("package_version"):
            package += f"@{row['package_version']}"
        return f"{package} ({row['image']})" if row.get("image") else package
    return row.get("image") or row.get("target__name") or ""


def _age_days(first_seen: datetime | None, today: date) -> int | None:
    return (today - first_seen.date()).days if first_seen else None


def finding_rows(findings: QuerySet[Finding], today: date, limit: int) -> list[dict[str, Any]]:
    """Up to `limit` findings as display rows (masked title, location, age), one query."""
    rows = []
    for row in findings.values(*_ROW_FIELDS)[:limit]:
        row["title"] = mask_text(row["title"])
        row["status_reason"] = mask_text(row["status_reason"] or "")
        row["location"] = location_of(row)
        row["age_days"] = _age_days(row["first_seen_at"], today)
        rows.append(row)
    return rows


@dataclass
class FindingsSection:
    total: int
    detail: list[dict[str, Any]]
    summary: list[dict[str, Any]] = field(default_factory=list)
    summarized: int = 0
    summary_groups_left_out: int = 0

    @property
    def left_out(self) -> int:
        """Findings not listed one by one."""
        return self.total - len(self.detail)


def findings_section(open_findings: QuerySet[Finding], total: int, today: date) -> FindingsSection:
    """The worst `DETAIL_CAP` of `open_findings` in detail, the others grouped and counted."""
    ordered = open_findings.order_by("-severity_rank", "first_seen_at", "id")
    detail = finding_rows(ordered, today, DETAIL_CAP)
    section = FindingsSection(total=total, detail=detail)
    if total <= len(detail):
        return section
    listed = [row["id"] for row in detail]
    rest = open_findings.exclude(id__in=listed).order_by()
    groups = list(
        rest.values("severity", "severity_rank", "tool__slug", "rule_id", "file_path")
        .annotate(count=Count("id"), oldest=Max("first_seen_at"))
        .order_by("-severity_rank", "-count", "rule_id", "file_path")[: SUMMARY_CAP + 1]
    )
    section.summarized = total - len(detail)
    if len(groups) > SUMMARY_CAP:
        groups = groups[:SUMMARY_CAP]
        section.summary_groups_left_out = section.summarized - sum(g["count"] for g in groups)
    section.summary = groups
    return section


def accepted_risks(findings: QuerySet[Finding], today: date) -> list[dict[str, Any]]:
    """Accepted risks (soonest expiry first) with who accepted them, when and why."""
    acceptance = FindingEvent.objects.filter(
        finding=OuterRef("pk"),
        event_type=FindingEventType.STATUS_CHANGED,
        to_value=FindingStatus.ACCEPTED_RISK,
    ).order_by("-created_at", "-id")
    accepted = (
        findings.filter(status=FindingStatus.ACCEPTED_RISK)
        .annotate(
            accepted_by=Subquery(acceptance.values("actor__username")[:1]),
            accepted_at=Subquery(acceptance.values("created_at")[:1]),
        )
        .order_by("accepted_until", "id")
    )
    rows = []
    for row in accepted.values(*_ROW_FIELDS, "accepted_by", "accepted_at")[:ACCEPTED_CAP]:
        row["title"] = mask_text(row["title"])
        row["status_reason"] = mask_text(row["status_reason"] or "")
        row["location"] = location_of(row)
        row["expired"] = bool(row["accepted_until"] and row["accepted_until"] < today)
        rows.append(row)
    return rows
