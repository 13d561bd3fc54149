"""What notifications say: the email texts and the webhook's JSON payload.

Links point at the web app (`FRONTEND_URL`). Nothing here includes a secret: no webhook URL,
no token, no target credentials; findings appear by title, severity and location only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from apps.findings.models import SEVERITY_RANK, Finding, Severity
from apps.scans.models import Scan, ScanStatus

SUBJECT_PREFIX = "[SecuLite]"
# How many new findings an email or payload lists; the counts always cover all of them.
TOP_FINDINGS = 10


def one_line(text: str, limit: int = 250) -> str:
    """`text` fit for a mail header: no line breaks (Django refuses them), bounded length."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def web_url(path: str) -> str:
    return f"{settings.FRONTEND_URL}{path}"


def finding_location(finding: Finding) -> str:
    """The most telling place of a finding, as one line."""
    if finding.file_path:
        if finding.line_start:
            return f"{finding.file_path}:{finding.line_start}"
        return finding.file_path
    if finding.url:
        method = f"{finding.http_method} " if finding.http_method else ""
        param = f" [{finding.parameter}]" if finding.parameter else ""
        return f"{method}{finding.url}{param}"
    if finding.package_name:
        version = f"@{finding.package_version}" if finding.package_version else ""
        return f"{finding.package_name}{version}"
    if finding.image:
        return finding.image
    return ""


# How each announced end is worded; a scan completed with errors is announced to those who
# want failures, since some tool did not look (its findings cannot be trusted as complete).
OUTCOMES: dict[str, str] = {
    ScanStatus.COMPLETED: "completed",
    ScanStatus.COMPLETED_WITH_ERRORS: "completed with errors",
    ScanStatus.FAILED: "failed",
    ScanStatus.ERROR: "failed",
}
EVENTS: dict[str, str] = {
    ScanStatus.COMPLETED: "scan.completed",
    ScanStatus.COMPLETED_WITH_ERRORS: "scan.completed_with_errors",
}


@dataclass
class ScanFacts:
    """A finished scan and its new findings, queried once and filtered per recipient.

    `failed` is true for every end but a clean completion: failed, reaped (`error`) and
    completed with errors all go to whoever asked to hear about failures."""

    scan: Scan
    failed: bool
    new_counts: dict[str, int]
    _top: dict[int, list[Finding]] = field(default_factory=dict)

    @classmethod
    def for_scan(cls, scan: Scan) -> ScanFacts:
        counts = dict(
            Finding.objects.filter(project_id=scan.project_id, first_seen_scan=scan)
            .values_list("severity")
            .annotate(n=Count("id"))
            .values_list("severity", "n")
        )
        return cls(
            scan=scan,
            failed=scan.status != ScanStatus.COMPLETED,
            new_counts={sev: counts.get(sev, 0) for sev in Severity.values},
        )

    @property
    def event(self) -> str:
        return EVENTS.get(self.scan.status, "scan.failed")

    @property
    def outcome(self) -> str:
        return OUTCOMES.get(self.scan.status, "failed")

    def counts_at_least(self, min_severity: str) -> dict[str, int]:
        floor = SEVERITY_RANK.get(min_severity, SEVERITY_RANK[Severity.HIGH])
        return {sev: n for sev, n in self.new_counts.items() if SEVERITY_RANK[sev] >= floor and n}

    def top_at_least(self, min_severity: str) -> list[Finding]:
        floor = SEVERITY_RANK.get(min_severity, SEVERITY_RANK[Severity.HIGH])
        if floor not in self._top:
            self._top[floor] = list(
                Finding.objects.filter(
                    project_id=self.scan.project_id,
                    first_seen_scan=self.scan,
                    severity_rank__gte=floor,
                ).order_by("-severity_rank", "title", "pk")[:TOP_FINDINGS]
            )
        return self._top[floor]


def _scan_title(scan: Scan) -> str:
    configuration = scan.configuration.name if scan.configuration else "a deleted configuration"
    return f'Scan #{scan.pk} of "{configuration}" in {scan.project.name}'


def scan_email(facts: ScanFacts, *, min_severity: str) -> tuple[str, str]:
    """Subject and plain-text body about `facts`, listing new findings of `min_severity`+."""
    scan = facts.scan
    counts = facts.counts_at_least(min_severity)
    new_total = sum(counts.values())
    outcome = facts.outcome
    subject = f"{SUBJECT_PREFIX} {_scan_title(scan)} {outcome}"
    if new_total:
        subject += f": {new_total} new finding{'s' if new_total != 1 else ''} ({min_severity}+)"
    lines = [f"{_scan_title(scan)} {outcome}.", ""]
    if facts.failed and scan.error_message:
        lines += ["What went wrong:", f"  {scan.error_message}", ""]
    if scan.status == ScanStatus.COMPLETED_WITH_ERRORS:
        lines += [
            "The findings of the tools that ran were stored; the tools above did not look at "
            "everything, so nothing they did not see was marked resolved.",
            "",
        ]
    summary = scan.summary or {}
    if summary:
        lines.append(
            f"Findings seen: {summary.get('total', 0)} "
            f"({summary.get('new', 0)} new, {summary.get('existing', 0)} already known, "
            f"{summary.get('resolved', 0)} resolved since the last scan)."
        )
    if new_total:
        lines += ["", f"New findings of severity {min_severity} or higher:"]
        lines += [f"  {sev}: {n}" for sev, n in counts.items()]
        lines += ["", "Most severe:"]
        for finding in facts.top_at_least(min_severity):
            location = finding_location(finding)
            lines.append(f"  [{finding.severity}] {finding.title}")
            if location:
                lines.append(f"    {location}")
            lines.append(f"    {web_url(f'/findings/{finding.pk}')}")
        if new_total > TOP_FINDINGS:
            lines.append(f"  … and {new_total - TOP_FINDINGS} more.")
    else:
        lines.append(f"No new findings of severity {min_severity} or higher.")
    lines += ["", f"Scan: {web_url(f'/scans/{scan.pk}')}", "", _footer()]
    return one_line(subject), "\n".join(lines)


def _footer() -> str:
    return (
        "You receive this because of your notification settings in SecuLite "
        f"({web_url('/profile')}) or a scan configuration's notification list."
    )


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def scan_webhook_payload(facts: ScanFacts, *, min_severity: str) -> dict[str, Any]:
    """The JSON a configuration's webhook receives when one of its scans ends."""
    scan = facts.scan
    counts = facts.counts_at_least(min_severity)
    configuration = scan.configuration
    return {
        "event": facts.event,
        "sent_at": timezone.now().isoformat(),
        "scan": {
            "id": scan.pk,
            "status": scan.status,
            "trigger": scan.trigger,
            "error_message": scan.error_message,
            "queued_at": _iso(scan.queued_at),
            "started_at": _iso(scan.started_at),
            "finished_at": _iso(scan.finished_at),
            "summary": scan.summary or {},
            "url": web_url(f"/scans/{scan.pk}"),
        },
        "project": {
            "id": scan.project_id,
            "name": scan.project.name,
            "url": web_url(f"/projects/{scan.project_id}"),
        },
        "configuration": (
            {"id": configuration.pk, "name": configuration.name} if configuration else None
        ),
        "new_findings": {
            "min_severity": min_severity,
            "counts": counts,
            "total": sum(counts.values()),
            "top": [
                {
                    "id": finding.pk,
                    "title": finding.title,
                    "severity": finding.severity,
                    "location": finding_location(finding),
                    "rule_id": finding.rule_id,
                    "url": web_url(f"/findings/{finding.pk}"),
                }
                for finding in facts.top_at_least(min_severity)
            ],
        },
    }


def assignment_email(
    *, findings: Sequence[Finding], total: int, actor_name: str
) -> tuple[str, str]:
    """Subject and body telling an assignee which findings `actor_name` gave them."""
    first = findings[0]
    if total == 1:
        subject = f"{SUBJECT_PREFIX} Assigned to you: [{first.severity}] {first.title}"
        intro = f"{actor_name} assigned you a finding in {first.project.name}."
    else:
        subject = f"{SUBJECT_PREFIX} {total} findings assigned to you"
        intro = f"{actor_name} assigned you {total} findings."
    lines = [intro, ""]
    for finding in findings:
        location = finding_location(finding)
        lines.append(f"  [{finding.severity}] {finding.title} ({finding.project.name})")
        if location:
            lines.append(f"    {location}")
        if finding.due_date:
            lines.append(f"    Due {finding.due_date.isoformat()}")
        lines.append(f"    {web_url(f'/findings/{finding.pk}')}")
    if total > len(findings):
        lines.append(f"  … and {total - len(findings)} more: {web_url('/findings')}")
    lines += ["", _footer()]
    return one_line(subject), "\n".join(lines)


def acceptance_expired_email(*, findings: Sequence[Finding], total: int) -> tuple[str, str]:
    """Subject and body telling an assignee that risk acceptances of their findings expired
    and the findings are open again."""
    first = findings[0]
    if total == 1:
        subject = f"{SUBJECT_PREFIX} Risk acceptance expired: [{first.severity}] {first.title}"
        intro = f"The accepted risk of a finding assigned to you in {first.project.name} expired."
    else:
        subject = f"{SUBJECT_PREFIX} {total} risk acceptances expired"
        intro = f"The accepted risk of {total} findings assigned to you expired."
    lines = [intro, "They are open again: fix them, or accept the risk anew.", ""]
    for finding in findings:
        location = finding_location(finding)
        lines.append(f"  [{finding.severity}] {finding.title} ({finding.project.name})")
        if location:
            lines.append(f"    {location}")
        lines.append(f"    {web_url(f'/findings/{finding.pk}')}")
    if total > len(findings):
        lines.append(f"  … and {total - len(findings)} more: {web_url('/findings?assignee=me')}")
    lines += ["", _footer()]
    return one_line(subject), "\n".join(lines)
