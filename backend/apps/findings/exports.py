"""Findings exports (CSV, JSON, SARIF 2.1.0), streamed from the findings list's own queryset.

The caller passes the queryset the list would show (visibility, filters, search and ordering
already applied); this module only narrows the columns, reads it in chunks and writes it out, so
an export of any size holds one chunk of rows in memory at a time.

Formats:

- ``csv``: one row per finding, the columns of ``EXPORT_COLUMNS`` in that order, UTF-8 (no
  BOM), RFC 4180 quoting and CRLF line ends. A text cell starting with ``= + - @``, a tab or a
  carriage return is prefixed with ``'`` so a spreadsheet never runs it as a formula. Lists
  (tags) are joined with ``"; "``; empty values are empty cells.
- ``json``: one JSON array (a single document, not JSON Lines), one object per finding with
  the same keys in native types (null, numbers, lists) plus ``LONG_TEXT_COLUMNS``.
- ``sarif``: a SARIF 2.1.0 log with one run per tool (findings without a tool share a run
  named SecuLite). Each run lists its rules, described (title, description, remediation,
  first web reference) by the first finding of each rule. Each result carries
  ruleId/ruleIndex, a level from the severity (critical/high → error, medium and unknown →
  warning, low/informational → note), a ``security-severity`` score the repo's SARIF parser
  maps back to the same severity (unknown has none, so it comes back as medium), the title as
  its message, the file and lines or the URL as its location, SecuLite's
  fingerprint as ``partialFingerprints["seculite/v1"]``, and for false positives and accepted
  risks an accepted external suppression (so code-scanning tools show them as dismissed).

Like the list API, exports never include a finding's snippet or evidence (which may quote a
secret, even masked); JSON and SARIF add the long text the detail API shows (description,
remediation, references, status reason).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from django.db.models import QuerySet

from apps.findings.models import Finding, FindingStatus, Severity

# Rows fetched per database round trip (a server-side cursor on PostgreSQL).
EXPORT_CHUNK_ROWS = 2000
# Bytes gathered before a chunk is handed to the server: fewer, larger writes.
_FLUSH_BYTES = 64 * 1024

Getter = Callable[[Finding], Any]


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _ref(relation: str, attribute: str) -> Getter:
    def get(finding: Finding) -> Any:
        related = getattr(finding, relation)
        return getattr(related, attribute) if related is not None else None

    return get


# The documented column set of the CSV (and the JSON objects' keys), in order.
EXPORT_COLUMNS: tuple[tuple[str, Getter], ...] = (
    ("id", lambda f: f.pk),
    ("project", _ref("project", "name")),
    ("project_id", lambda f: f.project_id),
    ("severity", lambda f: f.severity),
    ("confidence", lambda f: f.confidence),
    ("status", lambda f: f.status),
    ("title", lambda f: f.title),
    ("rule_id", lambda f: f.rule_id),
    ("tool", _ref("tool", "slug")),
    ("target", _ref("target", "name")),
    ("cwe", lambda f: f.cwe),
    ("cve", lambda f: f.cve),
    ("file_path", lambda f: f.file_path),
    ("line_start", lambda f: f.line_start),
    ("line_end", lambda f: f.line_end),
    ("url", lambda f: f.url),
    ("http_method", lambda f: f.http_method),
    ("parameter", lambda f: f.parameter),
    ("package_name", lambda f: f.package_name),
    ("package_version", lambda f: f.package_version),
    ("fixed_version", lambda f: f.fixed_version),
    ("image", lambda f: f.image),
    ("first_seen_at", lambda f: _iso(f.first_seen_at)),
    ("last_seen_at", lambda f: _iso(f.last_seen_at)),
    ("resolved_at", lambda f: _iso(f.resolved_at)),
    ("assignee", _ref("assignee", "username")),
    ("due_date", lambda f: _iso(f.due_date)),
    ("tags", lambda f: list(f.tags) if isinstance(f.tags, list) else []),
    ("fingerprint", lambda f: f.fingerprint),
)
# Extra keys of the JSON objects (the detail API's long text).
LONG_TEXT_COLUMNS: tuple[tuple[str, Getter], ...] = (
    ("description", lambda f: f.description),
    ("remediation", lambda f: f.remediation),
    ("references", lambda f: list(f.references) if isinstance(f.references, list) else []),
    ("status_reason", lambda f: f.status_reason),
)

# Model columns read for every format; relations only for the names the export shows.
_BASE_FIELDS = (
    "id", "project", "project__name", "severity", "confidence", "status", "title", "rule_id",
    "tool", "tool__slug", "tool__name", "target", "target__name", "cwe", "cve", "file_path",
    "line_start", "line_end", "url", "http_method", "parameter", "package_name",
    "package_version", "fixed_version", "image", "first_seen_at", "last_seen_at", "resolved_at",
    "assignee", "assignee__username", "due_date", "tags", "fingerprint",
)  # fmt: skip
_LONG_TEXT_FIELDS = ("description", "remediation", "references", "status_reason")


def export_rows(queryset: QuerySet[Finding], *, long_text: bool) -> Iterator[Finding]:
    """The findings of `queryset`, with only the exported columns, fetched in chunks."""
    fields = _BASE_FIELDS + (_LONG_TEXT_FIELDS if long_text else ())
    return (
        queryset.select_related("project", "tool", "target", "assignee")
        .defer(None)  # drop the list's deferrals, which `only` would otherwise keep
        .only(*fields)
        .iterator(chunk_size=EXPORT_CHUNK_ROWS)
    )


def _buffered(pieces: Iterable[str]) -> Iterator[bytes]:
    """Join small text pieces into UTF-8 chunks of about `_FLUSH_BYTES`."""
    buffer: list[str] = []
    size = 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= _FLUSH_BYTES:
            yield "".join(buffer).encode("utf-8")
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode("utf-8")


# --- CSV ----------------------------------------------------------------------------------------

# Leading characters a spreadsheet treats as the start of a formula (OWASP's CSV injection list).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell: empty for null, lists joined, formula-like text defused."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = "; ".join(str(item) for item in value)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def render_csv(findings: Iterable[Finding]) -> Iterator[bytes]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([name for name, _ in EXPORT_COLUMNS])
    for finding in findings:
        writer.writerow([csv_cell(get(finding)) for _, get in EXPORT_COLUMNS])
        if out.tell() >= _FLUSH_BYTES:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


# --- JSON ---------------------------------------------------------------------------------------


def finding_export_object(finding: Finding) -> dict[str, Any]:
    """One finding as a JSON export object."""
    return {name: get(finding) for name, get in EXPORT_COLUMNS + LONG_TEXT_COLUMNS}


def render_json(findings: Iterable[Finding]) -> Iterator[bytes]:
    def pieces() -> Iterator[str]:
        separator = "[\n"
        for finding in findings:
            yield separator
            yield json.dumps(finding_export_object(finding), ensure_ascii=False)
            separator = ",\n"
        yield "[]\n" if separator == "[\n" else "\n]\n"

    return _buffered(pieces())


# --- SARIF --------------------------------------------------------------------------------------

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
SUPPRESSED_STATUSES = (FindingStatus.FALSE_POSITIVE, FindingStatus.ACCEPTED_RISK)
_NO_TOOL = "SecuLite"


class _SarifRun:
    """The rules of one run, collected while its results stream out."""

    def __init__(self, finding: Finding | None) -> None:
        tool = finding.tool if finding is not None else None
        self.tool_id = finding.tool_id if finding is not None else None
        self.driver: dict[str, Any] = {"name": tool.name if tool else _NO_TOOL}
        if tool is not None:
            self.driver["properties"] = {"seculite_tool": tool.slug}
        self.rules: list[dict[str, Any]] = []
        self.rule_index: dict[str, int] = {}

    def index_of(self, rule_id: str, finding: Finding) -> int:
        if rule_id not in self.rule_index:
            self.rule_index[rule_id] = len(self.rules)
            self.rules.append(_sarif_rule(rule_id, finding))
        return self.rule_index[rule_id]

    def tool_json(self) -> str:
        return json.dumps({"driver": {**self.driver, "rules": self.rules}}, ensure_ascii=False)


def _cwe_tag(cwe: int | None) -> list[str]:
    return [f"external/cwe/cwe-{cwe}"] if cwe else []


def _sarif_rule(rule_id: str, finding: Finding) -> dict[str, Any]:
    """A rule described by the first finding seen with it."""
    rule: dict[str, Any] = {"id": rule_id, "shortDescription": {"text": finding.title}}
    if finding.description:
        rule["fullDescription"] = {"text": finding.description}
    if finding.remediation:
        rule["help"] = {"text": finding.remediation}
    references = finding.references if isinstance(finding.references, list) else []
    help_uri = next((r for r in references if isinstance(r, str) and r.startswith("http")), None)
    if help_uri:
        rule["helpUri"] = help_uri
    rule["properties"] = {"tags": ["security", *_cwe_tag(finding.cwe)]}
    return rule


def _sarif_location(finding: Finding) -> dict[str, Any] | None:
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


def _sarif_result(finding: Finding, rule_index: int, rule_id: str) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    if finding.severity in SARIF_SECURITY_SEVERITY:
        properties["security-severity"] = SARIF_SECURITY_SEVERITY[finding.severity]
    properties.update(
        {
            "seculite_id": finding.pk,
            "project": finding.project.name,
            "severity": finding.severity,
            "status": finding.status,
        }
    )
    own_tags = finding.tags if isinstance(finding.tags, list) else []
    tags = _cwe_tag(finding.cwe) + [str(tag) for tag in own_tags if tag]
    if tags:
        properties["tags"] = tags
    for name in ("cve", "package_name", "package_version", "fixed_version", "image"):
        if getattr(finding, name):
            properties[name] = getattr(finding, name)
    if finding.target is not None:
        properties["target"] = finding.target.name
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


def render_sarif(findings: Iterable[Finding]) -> Iterator[bytes]:
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
            rule_id = finding.rule_id or (finding.tool.slug if finding.tool else "seculite")
            result = _sarif_result(finding, run.index_of(rule_id, finding), rule_id)
            yield separator + json.dumps(result, ensure_ascii=False)
            separator = ",\n"
        if run is None:  # nothing matched: one empty run says "no results"
            yield '\n{"results": ['
            run = _SarifRun(None)
        yield '], "tool": ' + run.tool_json() + "}\n]}\n"

    return _buffered(pieces())


# --- Formats ------------------------------------------------------------------------------------


def _list_order(queryset: QuerySet[Finding]) -> QuerySet[Finding]:
    return queryset


@dataclass(frozen=True)
class ExportFormat:
    name: str
    content_type: str
    extension: str
    long_text: bool
    render: Callable[[Iterable[Finding]], Iterator[bytes]]
    order: Callable[[QuerySet[Finding]], QuerySet[Finding]] = _list_order


EXPORT_FORMATS: dict[str, ExportFormat] = {
    "csv": ExportFormat("csv", "text/csv; charset=utf-8", "csv", False, render_csv),
    "json": ExportFormat("json", "application/json", "json", True, render_json),
    "sarif": ExportFormat(
        "sarif", "application/sarif+json", "sarif", True, render_sarif, sarif_ordering
    ),
}


def findings_export(queryset: QuerySet[Finding], *, export_format: ExportFormat) -> Iterator[bytes]:
    """The export of `queryset` in `export_format`, as a lazy stream of UTF-8 chunks."""
    rows = export_rows(export_format.order(queryset), long_text=export_format.long_text)
    return export_format.render(rows)
