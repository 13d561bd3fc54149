"""Findings as a SARIF 2.1.0 log: one run per tool (findings without a tool share a run
named SecuLite), written while the rows stream.

Each run lists its rules, described (title, description, remediation, first web reference)
by the first finding of each rule. Each result carries ruleId/ruleIndex, a level from the
severity (critical/high → error, medium and unknown → warning, low/informational → note), a
``security-severity`` score the repo's SARIF parser maps back to the same severity (unknown has
none, so it comes back as medium), the title as its message, the file and lines or the URL as
its location, SecuLite's fingerprint as ``partialFingerprints["seculite/v1"]``, and for false
positives and accepted risks an accepted external suppression (so code-scanning tools show
them as dismissed).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote

from django.db.models import QuerySet

from apps.findings.exports_rows import ExportRow, as_list, buffered, to_json
from apps.findings.models import Finding, FindingStatus, Severity

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL: dict[str, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFORMATIONAL: "note",
    Severity.UNKNOWN: "warning",
}
# Mid-band CVSS-like scores (GitHub's bands: ≥9 critical, ≥7 high, ≥4 medium, >0 low), which
# the SARIF parser (apps.tools.adapters.sarif) maps back to the same severity.
SARIF_SECURITY_SEVERITY: dict[str, str] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "2.0",
    Severity.INFORMATIONAL: "0.0",
}
SARIF_FINGERPRINT_KEY = "seculite/v1"
# What a SARIF log reads of a finding (no dates: parsing them is a good part of a row's cost).
SARIF_FIELDS = (
    "id", "project__name", "severity", "status", "status_reason", "title", "description",
    "remediation", "references", "rule_id", "tool_id", "tool__slug", "tool__name", "target_id",
    "target__name", "cwe", "cve", "file_path", "line_start", "line_end", "url", "http_method",
    "package_name", "package_version", "fixed_version", "image", "tags", "fingerprint",
)  # fmt: skip
SUPPRESSED_STATUSES = (FindingStatus.FALSE_POSITIVE, FindingStatus.ACCEPTED_RISK)
_NO_TOOL = "SecuLite"


class _SarifRun:
    """The rules of one run, collected while its results stream out."""

    def __init__(self, finding: ExportRow | None) -> None:
        self.tool_id = finding.tool_id if finding is not None else None
        self.driver: dict[str, Any] = {"name": _NO_TOOL}
        if finding is not None and finding.tool_id is not None:
            self.driver["name"] = finding.tool__name
            self.driver["properties"] = {"seculite_tool": finding.tool__slug}
        self.rules: list[dict[str, Any]] = []
        self.rule_index: dict[str, int] = {}

    def index_of(self, rule_id: str, finding: ExportRow) -> int:
        if rule_id not in self.rule_index:
            self.rule_index[rule_id] = len(self.rules)
            self.rules.append(_sarif_rule(rule_id, finding))
        return self.rule_index[rule_id]

    def tool_json(self) -> str:
        return to_json({"driver": {**self.driver, "rules": self.rules}})


def _cwe_tag(cwe: int | None) -> list[str]:
    return [f"external/cwe/cwe-{cwe}"] if cwe else []


def _sarif_rule(rule_id: str, finding: ExportRow) -> dict[str, Any]:
    """A rule described by the first finding seen with it."""
    rule: dict[str, Any] = {"id": rule_id, "shortDescription": {"text": finding.title}}
    if finding.description:
        rule["fullDescription"] = {"text": finding.description}
    if finding.remediation:
        rule["help"] = {"text": finding.remediation}
    references = as_list(finding.references)
    help_uri = next((r for r in references if isinstance(r, str) and r.startswith("http")), None)
    if help_uri:
        rule["helpUri"] = help_uri
    rule["properties"] = {"tags": ["security", *_cwe_tag(finding.cwe)]}
    return rule


def _sarif_location(finding: ExportRow) -> dict[str, Any] | None:
    location: dict[str, Any] = {}
    if finding.file_path:
        physical: dict[str, Any] = {"artifactLocation": {"uri": quote(finding.file_path)}}
        if finding.line_start:
            region = {"startLine": finding.line_start}
            if finding.line_end and finding.line_end >= finding.line_start:
                region["endLine"] = finding.line_end
            physical["region"] = region
        location["physicalLocation"] = physical
    elif finding.url:
        location["physicalLocation"] = {"artifactLocation": {"uri": finding.url}}
    if finding.package_name:
        name = finding.package_name
        if finding.package_version:
            name = f"{name}@{finding.package_version}"
        location["logicalLocations"] = [{"fullyQualifiedName": name, "kind": "module"}]
    return location or None


def _sarif_result(finding: ExportRow, rule_index: int, rule_id: str) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    if finding.severity in SARIF_SECURITY_SEVERITY:
        properties["security-severity"] = SARIF_SECURITY_SEVERITY[finding.severity]
    properties.update(
        {
            "seculite_id": finding.id,
            "project": finding.project__name,
            "severity": finding.severity,
            "status": finding.status,
        }
    )
    tags = _cwe_tag(finding.cwe) + [str(tag) for tag in as_list(finding.tags) if tag]
    if tags:
        properties["tags"] = tags
    for name in ("cve", "package_name", "package_version", "fixed_version", "image"):
        if getattr(finding, name):
            properties[name] = getattr(finding, name)
    if finding.target_id is not None:
        properties["target"] = finding.target__name
    result: dict[str, Any] = {
        "ruleId": rule_id,
        "ruleIndex": rule_index,
        "level": SARIF_LEVEL.get(finding.severity, "warning"),
        "message": {"text": finding.title},
    }
    location = _sarif_location(finding)
    if location:
        result["locations"] = [location]
    if finding.url:
        web_request = {"target": finding.url}
        if finding.http_method:
            web_request["method"] = finding.http_method
        result["webRequest"] = web_request
    result["partialFingerprints"] = {SARIF_FINGERPRINT_KEY: finding.fingerprint}
    if finding.status in SUPPRESSED_STATUSES:
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": finding.status_reason or FindingStatus(finding.status).label,
            }
        ]
    result["properties"] = properties
    return result


def sarif_ordering(queryset: QuerySet[Finding]) -> QuerySet[Finding]:
    """The list's ordering within each tool, so every tool's results form one run."""
    ordering: list[Any] = list(queryset.query.order_by) or [*(Finding._meta.ordering or []), "-id"]
    return queryset.order_by("tool_id", *ordering)


def render_sarif(findings: Iterable[ExportRow]) -> Iterator[bytes]:
    """A SARIF 2.1.0 log; `findings` must come grouped by tool (see `sarif_ordering`)."""

    def pieces() -> Iterator[str]:
        yield f'{{"$schema": "{SARIF_SCHEMA}", "version": "2.1.0", "runs": ['
        run: _SarifRun | None = None
        separator = ""
        for finding in findings:
            if run is None or finding.tool_id != run.tool_id:
                if run is not None:
                    yield '], "tool": ' + run.tool_json() + "},"
                run = _SarifRun(finding)
                yield '\n{"results": [\n'
                separator = ""
            rule_id = finding.rule_id or finding.tool__slug or "seculite"
            result = _sarif_result(finding, run.index_of(rule_id, finding), rule_id)
            yield separator + to_json(result)
            separator = ",\n"
        if run is None:  # nothing matched: one empty run says "no results"
            yield '\n{"results": ['
            run = _SarifRun(None)
        yield '], "tool": ' + run.tool_json() + "}\n]}\n"

    return buffered(pieces())
