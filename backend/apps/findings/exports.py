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
- ``sarif``: a SARIF 2.1.0 log with one run per tool; see ``apps.findings.exports_sarif``.

Like the list API, exports never include a finding's snippet or evidence (which may quote a
secret, even masked); JSON and SARIF add the long text the detail API shows (description,
remediation, references, status reason).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet

from apps.findings.exports_rows import (
    FLUSH_BYTES,
    ExportRow,
    as_list,
    buffered,
    export_rows,
    iso,
    to_json,
)
from apps.findings.exports_sarif import SARIF_FIELDS, render_sarif, sarif_ordering
from apps.findings.models import Finding

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
        cells[i] = iso(cells[i])
    for i in _CSV_LISTS:
        cells[i] = csv_cell(as_list(cells[i]))
    return cells


def render_csv(findings: Iterable[ExportRow]) -> Iterator[bytes]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([name for name, _ in EXPORT_COLUMNS])
    for finding in findings:
        writer.writerow(_csv_cells(finding))
        if out.tell() >= FLUSH_BYTES:
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
        values[i] = iso(values[i])
    for i in _JSON_LISTS:
        values[i] = as_list(values[i])
    return dict(zip(_JSON_KEYS, values, strict=True))


def render_json(findings: Iterable[ExportRow]) -> Iterator[bytes]:
    def pieces() -> Iterator[str]:
        separator = "[\n"
        for finding in findings:
            yield separator
            yield to_json(finding_export_object(finding))
            separator = ",\n"
        yield "[]\n" if separator == "[\n" else "\n]\n"

    return buffered(pieces())


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
        "sarif", "application/sarif+json", "sarif", SARIF_FIELDS, render_sarif, sarif_ordering
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
