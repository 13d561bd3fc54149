"""Findings exports (CSV, JSON, SARIF 2.1.0), streamed from the findings list's own queryset.

The caller passes the queryset the list would show (visibility, filters, search and ordering
already applied); this module only narrows the columns, reads it in chunks and writes it out, so
an export of any size holds one chunk of rows in memory at a time. Rows are read as tuples
(`values_list`), never as model instances: building 100,000 findings and calling a getter per
cell cost most of an export's time.

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
from typing import Any
from urllib.parse import quote

from django.db import connection, transaction
from django.db.models import CharField, F, Func, QuerySet

from apps.findings.models import Finding, FindingStatus, Severity

# Rows fetched per database round trip (a server-side cursor on PostgreSQL).
EXPORT_CHUNK_ROWS = 2000
# Bytes gathered before a chunk is handed to the server: fewer, larger writes.
_FLUSH_BYTES = 64 * 1024

# One finding as read for an export: a named tuple of `_ROW_FIELDS` (relations flattened,
# e.g. `tool__slug`), so attribute access stays readable and costs no model instance.
ExportRow = Any

# The documented column set of the CSV (and the JSON objects' keys), in order, each with the
# field it is read from.
EXPORT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "id"), ("project", "project__name"), ("project_id", "project_id"),
    ("severity", "severity"), ("confidence", "confidence"), ("status", "status"),
    ("title", "title"), ("rule_id", "rule_id"), ("tool", "tool__slug"),
    ("target", "target__name"), ("cwe", "cwe"), ("cve", "cve"), ("file_path", "file_path"),
    ("line_start", "line_start"), ("line_end", "line_end"), ("url", "url"),
    ("http_method", "http_method"), ("parameter", "parameter"),
    ("package_name", "package_name"), ("package_version", "package_version"),
    ("fixed_version", "fixed_version"), ("image", "image"), ("first_seen_at", "first_seen_at"),
    ("last_seen_at", "last_seen_at"), ("resolved_at", "resolved_at"),
    ("assignee", "assignee__username"), ("due_date", "due_date"), ("tags", "tags"),
    ("fingerprint", "fingerprint"),
)  # fmt: skip
# Extra keys of the JSON objects (the detail API's long text).
LONG_TEXT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("description", "description"), ("remediation", "remediation"),
    ("references", "references"), ("status_reason", "status_reason"),
)  # fmt: skip

_DATE_FIELDS = frozenset({"first_seen_at", "last_seen_at", "resolved_at", "due_date"})
_LIST_FIELDS = frozenset({"tags", "references"})
_NUMBER_FIELDS = frozenset({"id", "project_id", "cwe", "line_start", "line_end"})


def _positions(columns: tuple[tuple[str, str], ...], fields: frozenset[str]) -> tuple[int, ...]:
    return tuple(i for i, (_, field) in enumerate(columns) if field in fields)


# Timestamps PostgreSQL writes as text (UTC, microseconds): its driver's timezone-aware
# parsing, then isoformat(), cost more than the rest of a CSV row. `_iso` finishes the text.
_TIMESTAMP_FIELDS = frozenset({"first_seen_at", "last_seen_at", "resolved_at"})
_ISO_SUFFIX = "_iso"


def _utc_text(field: str) -> Func:
    return Func(
        F(field),
        template="""to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')""",
        output_field=CharField(),
    )


def export_rows(queryset: QuerySet[Finding], *, fields: tuple[str, ...]) -> Iterator[ExportRow]:
    """The findings of `queryset` as named tuples of `fields`, fetched in chunks (relations
    joined by the database; no model instances)."""
    if connection.vendor == "postgresql" and _TIMESTAMP_FIELDS & set(fields):
        as_text = {f + _ISO_SUFFIX: _utc_text(f) for f in fields if f in _TIMESTAMP_FIELDS}
        queryset = queryset.annotate(**as_text)
        fields = tuple(f + _ISO_SUFFIX if f in _TIMESTAMP_FIELDS else f for f in fields)
    return queryset.values_list(*fields, named=True).iterator(chunk_size=EXPORT_CHUNK_ROWS)


def _iso(value: Any) -> str | None:
    """ISO 8601 as datetime.isoformat() writes it, from a date, a datetime, or PostgreSQL's
    UTC text (`_utc_text`: microseconds always, no offset)."""
    if value is None or not isinstance(value, str):
        return value.isoformat() if value is not None else None
    return (value[:-7] if value.endswith(".000000") else value) + "+00:00"


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


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


# One encoder for every object: json.dumps with options builds a new encoder per call.
_to_json = json.JSONEncoder(ensure_ascii=False).encode


# --- CSV ----------------------------------------------------------------------------------------

# Leading characters a spreadsheet treats as the start of a formula (OWASP's CSV injection list).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_FORMULA_STARTS = frozenset(FORMULA_PREFIXES)

_CSV_TEXT = tuple(
    i
    for i, (_, field) in enumerate(EXPORT_COLUMNS)
    if field not in _DATE_FIELDS | _LIST_FIELDS | _NUMBER_FIELDS
)
_CSV_DATES = _positions(EXPORT_COLUMNS, _DATE_FIELDS)
_CSV_LISTS = _positions(EXPORT_COLUMNS, _LIST_FIELDS)
_CSV_FIELDS = tuple(field for _, field in EXPORT_COLUMNS)


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell: empty for null, lists joined, formula-like text defused."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = "; ".join(str(item) for item in value)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _csv_cells(row: ExportRow) -> list[Any]:
    """One row's cells; what `csv_cell` does, inlined per kind of column (it runs for every
    cell of every row). The csv module writes None as an empty cell."""
    cells = list(row)
    for i in _CSV_TEXT:
        text = cells[i]
        if text and text[0] in _FORMULA_STARTS:
            cells[i] = "'" + text
    for i in _CSV_DATES:
        cells[i] = _iso(cells[i])
    for i in _CSV_LISTS:
        cells[i] = csv_cell(_as_list(cells[i]))
    return cells


def render_csv(findings: Iterable[ExportRow]) -> Iterator[bytes]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([name for name, _ in EXPORT_COLUMNS])
    for finding in findings:
        writer.writerow(_csv_cells(finding))
        if out.tell() >= _FLUSH_BYTES:
            yield out.getvalue().encode("utf-8")
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode("utf-8")


# --- JSON ---------------------------------------------------------------------------------------

_JSON_COLUMNS = EXPORT_COLUMNS + LONG_TEXT_COLUMNS
_JSON_KEYS = tuple(name for name, _ in _JSON_COLUMNS)
_JSON_FIELDS = tuple(field for _, field in _JSON_COLUMNS)
_JSON_DATES = _positions(_JSON_COLUMNS, _DATE_FIELDS)
_JSON_LISTS = _positions(_JSON_COLUMNS, _LIST_FIELDS)


def finding_export_object(row: ExportRow) -> dict[str, Any]:
    """One finding as a JSON export object (native types: null, numbers, lists)."""
    values = list(row)
    for i in _JSON_DATES:
        values[i] = _iso(values[i])
    for i in _JSON_LISTS:
        values[i] = _as_list(values[i])
    return dict(zip(_JSON_KEYS, values, strict=True))


def render_json(findings: Iterable[ExportRow]) -> Iterator[bytes]:
    def pieces() -> Iterator[str]:
        separator = "[\n"
        for finding in findings:
            yield separator
            yield _to_json(finding_export_object(finding))
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
# What a SARIF log reads of a finding (no dates: parsing them is a good part of a row's cost).
_SARIF_FIELDS = (
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
        return _to_json({"driver": {**self.driver, "rules": self.rules}})


def _cwe_tag(cwe: int | None) -> list[str]:
    return [f"external/cwe/cwe-{cwe}"] if cwe else []


def _sarif_rule(rule_id: str, finding: ExportRow) -> dict[str, Any]:
    """A rule described by the first finding seen with it."""
    rule: dict[str, Any] = {"id": rule_id, "shortDescription": {"text": finding.title}}
    if finding.description:
        rule["fullDescription"] = {"text": finding.description}
    if finding.remediation:
        rule["help"] = {"text": finding.remediation}
    references = _as_list(finding.references)
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
    tags = _cwe_tag(finding.cwe) + [str(tag) for tag in _as_list(finding.tags) if tag]
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
            yield separator + _to_json(result)
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
    fields: tuple[str, ...]  # what `render` reads from each row
    render: Callable[[Iterable[ExportRow]], Iterator[bytes]]
    order: Callable[[QuerySet[Finding]], QuerySet[Finding]] = _list_order


EXPORT_FORMATS: dict[str, ExportFormat] = {
    "csv": ExportFormat("csv", "text/csv; charset=utf-8", "csv", _CSV_FIELDS, render_csv),
    "json": ExportFormat("json", "application/json", "json", _JSON_FIELDS, render_json),
    "sarif": ExportFormat(
        "sarif", "application/sarif+json", "sarif", _SARIF_FIELDS, render_sarif, sarif_ordering
    ),
}


def findings_export(queryset: QuerySet[Finding], *, export_format: ExportFormat) -> Iterator[bytes]:
    """The export of `queryset` in `export_format`, as a lazy stream of UTF-8 chunks.

    On PostgreSQL the rows come from a server-side cursor, which the planner optimises for
    the first rows (cursor_tuple_fraction 0.1): for a sorted export of one project that can
    mean walking another index over the whole table, 3-4 times slower than planning for all
    rows, which an export always reads. So the stream runs in a transaction that plans for all
    of them (and its cursor streams instead of being materialised up front, as a cursor held
    over autocommit is). Closing the stream early rolls the read-only transaction back.
    """
    rows = export_rows(export_format.order(queryset), fields=export_format.fields)
    if connection.vendor != "postgresql":
        return export_format.render(rows)

    def planned_for_every_row() -> Iterator[bytes]:
        with transaction.atomic(savepoint=False):
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
            yield from export_format.render(rows)

    return planned_for_every_row()
