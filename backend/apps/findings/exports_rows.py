"""What every export format shares: rows read as named tuples in chunks (no model
instances), the dates as ISO text, and the output gathered into large UTF-8 chunks."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.db import connection
from django.db.models import CharField, F, Func, QuerySet

from apps.findings.models import Finding

# Rows fetched per database round trip (a server-side cursor on PostgreSQL).
EXPORT_CHUNK_ROWS = 2000
# Bytes gathered before a chunk is handed to the server: fewer, larger writes.
FLUSH_BYTES = 64 * 1024

# One finding as read for an export: a named tuple of the format's fields (relations
# flattened, e.g. `tool__slug`), so attribute access stays readable and costs no model instance.
ExportRow = Any

# Timestamps PostgreSQL writes as text (UTC, microseconds): its driver's timezone-aware
# parsing, then isoformat(), cost more than the rest of a CSV row. `iso` finishes the text.
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


def iso(value: Any) -> str | None:
    """ISO 8601 as datetime.isoformat() writes it, from a date, a datetime, or PostgreSQL's
    UTC text (`_utc_text`: microseconds always, no offset)."""
    if value is None or not isinstance(value, str):
        return value.isoformat() if value is not None else None
    return (value[:-7] if value.endswith(".000000") else value) + "+00:00"


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def buffered(pieces: Iterable[str]) -> Iterator[bytes]:
    """Join small text pieces into UTF-8 chunks of about `FLUSH_BYTES`."""
    buffer: list[str] = []
    size = 0
    for piece in pieces:
        buffer.append(piece)
        size += len(piece)
        if size >= FLUSH_BYTES:
            yield "".join(buffer).encode("utf-8")
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode("utf-8")


# One encoder for every object: json.dumps with options builds a new encoder per call.
to_json = json.JSONEncoder(ensure_ascii=False).encode
