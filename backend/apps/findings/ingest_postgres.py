"""PostgreSQL writing of ingest batches: COPY into a stage table, then one statement per batch
that upserts the findings, records the `created` events and the sightings.

Each batch's rows are COPYed into a temporary table (only the columns that vary per finding;
the ones that are the same for every row of the ingest are bound once) and written by a single
INSERT … ON CONFLICT whose data-modifying CTEs add the events and occurrences, so a batch is two
round trips and no id travels back to Python. Only constants of this module are formatted into
the SQL; all data travels through COPY or bound parameters.

`BatchWriter` can run those writes on a thread of their own (`overlapped`), for a caller that
holds the transaction: PostgreSQL then stores one batch while this process parses and
fingerprints the next, instead of each waiting for the other (two cores at work, not one).
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.db.models import Field

from apps.findings.lifecycle import REOPENABLE
from apps.findings.models import SEVERITY_RANK, Finding, FindingEventType, FindingStatus
from apps.findings.sightings import Sighting
from apps.tools.adapters.base import NormalizedFinding

STAGE = "_seculite_finding_stage"

# Finding columns COPYed per row, in the order `copy_row` produces them.
VARYING_COLUMNS = (
    "fingerprint", "title", "description", "severity", "severity_rank", "confidence",
    "rule_id", "cwe", "cve", "file_path", "line_start", "line_end", "url", "http_method",
    "parameter", "package_name", "package_version", "fixed_version", "image", "image_layer",
    "snippet", "evidence", "remediation", "references", "code_context",
)  # fmt: skip
# Finding columns with one value for the whole ingest, bound once per statement.
CONSTANT_COLUMNS = (
    "project_id", "status", "status_reason", "tool_id", "target_id", "tags",
    "first_seen_scan_id", "last_seen_scan_id", "first_seen_at", "last_seen_at", "created_at",
    "updated_at", "on_default_branch",
)  # fmt: skip

TEXT_LIMITS = {"title": 500, "rule_id": 300, "file_path": 1024, "url": 2048, "parameter": 300,
               "package_name": 300, "package_version": 100, "fixed_version": 100, "cve": 64,
               "image": 500, "image_layer": 200, "http_method": 16}  # fmt: skip
SNIPPET_LIMIT = 4000
_EMPTY_LIST = "[]"

# The sighting ranges of a batch (see apps.findings.sightings), as CTEs after `up` (the
# upserted findings): per finding, whether a range of the stream already covers this result (a
# retried ingest: nothing to do) and which range ends at the previous result at the same
# location (extended in place: a HOT update, no new row); anything else opens a range.
_SEEN = (
    "SELECT up.id AS finding_id, s.file_path, s.line_start, s.line_end, "  # noqa: S608
    "coalesce(r.covered, FALSE) AS covered, r.extend_id "
    f"FROM up JOIN {STAGE} s ON s.fingerprint = up.fingerprint "
    "CROSS JOIN LATERAL (SELECT bool_or(o.last_seq >= %s) AS covered, "
    "max(o.id) FILTER (WHERE o.last_seq < %s AND o.file_path = s.file_path "
    "AND o.line_start IS NOT DISTINCT FROM s.line_start "
    "AND o.line_end IS NOT DISTINCT FROM s.line_end) AS extend_id "
    "FROM findings_findingoccurrence o "
    "WHERE o.finding_id = up.id AND o.stream_id = %s AND o.first_seq <= %s "
    "AND o.last_seq >= %s) r"
)
_EXTENDED = (
    "UPDATE findings_findingoccurrence o SET last_seq = %s, last_tool_result_id = %s, "
    "last_scan_id = %s, last_seen_at = %s FROM seen "
    "WHERE o.id = seen.extend_id AND NOT seen.covered AND o.last_seq = %s"
)
_OPENED = (
    "INSERT INTO findings_findingoccurrence (finding_id, stream_id, first_seq, last_seq, "
    "tool_result_id, scan_id, last_tool_result_id, last_scan_id, file_path, line_start, "
    "line_end, seen_at, last_seen_at) "
    "SELECT finding_id, %s, %s, %s, %s, %s, %s, %s, file_path, line_start, line_end, %s, %s "
    "FROM seen WHERE NOT covered AND extend_id IS NULL "
    "ON CONFLICT (finding_id, stream_id, first_seq) DO NOTHING"
)


def clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _quoted(columns: tuple[str, ...]) -> str:
    return ", ".join(f'"{column}"' for column in columns)


def update_clause(refreshed_fields: list[str], *, on_default_branch: bool) -> str:
    """The DO UPDATE SET list of the upsert. A default-branch sighting refreshes the
    refreshed columns and puts the finding on the default branch; another ref's sighting
    refreshes only findings that are not on the default branch.

    A column the tool reports unchanged keeps its stored value, not an equal copy: the row
    update then changes no indexed column (PostgreSQL makes it HOT: no index entry) and a
    long description keeps its TOAST value instead of being stored again. `updated_at` moves
    only when the content did; the last sighting always."""
    refreshed = {cast(Field, Finding._meta.get_field(name)).column for name in refreshed_fields}
    content = [c for c in VARYING_COLUMNS if c in refreshed]
    stored = [f'findings_finding."{c}"' for c in content]
    reported = [f'EXCLUDED."{c}"' for c in content]
    changed = f"({', '.join(stored)}) IS DISTINCT FROM ({', '.join(reported)})"
    if on_default_branch:
        changed = f"({changed} OR NOT findings_finding.on_default_branch)"
    values = {
        c: f'CASE WHEN findings_finding."{c}" IS DISTINCT FROM EXCLUDED."{c}" '
        f'THEN EXCLUDED."{c}" ELSE findings_finding."{c}" END'
        for c in content
    }
    for column in CONSTANT_COLUMNS:
        if column not in refreshed:
            continue
        values[column] = f'EXCLUDED."{column}"'
        if column == "updated_at":
            values[column] = (
                f'CASE WHEN {changed} THEN EXCLUDED."{column}" ELSE findings_finding."{column}" END'
            )
    if on_default_branch:
        return ", ".join(
            [*(f'"{c}" = {v}' for c, v in values.items()), '"on_default_branch" = TRUE']
        )
    return ", ".join(
        f'"{c}" = CASE WHEN findings_finding.on_default_branch THEN findings_finding."{c}" '
        f"ELSE {v} END"
        for c, v in values.items()
    )


def copy_row(fingerprint: str, nf: NormalizedFinding) -> tuple[Any, ...]:
    """The VARYING_COLUMNS of one finding."""
    evidence = nf.evidence
    if nf.host or nf.port is not None:
        evidence = dict(evidence)
        if nf.host:
            evidence.setdefault("host", nf.host)
        if nf.port is not None:
            evidence.setdefault("port", nf.port)
    limits = TEXT_LIMITS
    return (
        fingerprint, clip(nf.title, limits["title"]), nf.description, nf.severity,
        SEVERITY_RANK[nf.severity], nf.confidence, clip(nf.rule_id, limits["rule_id"]), nf.cwe,
        clip(nf.cve, limits["cve"]), clip(nf.file_path, limits["file_path"]), nf.line_start,
        nf.line_end, clip(nf.url, limits["url"]), clip(nf.http_method, limits["http_method"]),
        clip(nf.parameter, limits["parameter"]), clip(nf.package_name, limits["package_name"]),
        clip(nf.package_version, limits["package_version"]),
        clip(nf.fixed_version, limits["fixed_version"]), clip(nf.image, limits["image"]),
        clip(nf.image_layer, limits["image_layer"]), clip(nf.snippet, SNIPPET_LIMIT),
        json.dumps(evidence), nf.remediation,
        json.dumps(list(nf.references)) if nf.references else _EMPTY_LIST,
        json.dumps(nf.code_context) if nf.code_context else None,
    )  # fmt: skip


@dataclass
class Written:
    """What one batch did: findings created, and ids of resolved findings seen again."""

    created: int
    reopenable: list[int]


class BatchStatement:
    """The SQL of an ingest's batches and its bound values, built once per ingest."""

    def __init__(
        self,
        *,
        context: dict[str, Any],
        tool_result: Any,
        sighting: Sighting,
        now: Any,
        refreshed: list[str],
        due_dates: dict[str, Any] | None = None,
    ) -> None:
        on_default = bool(context["on_default_branch"])
        target = context["target"]
        scan_id = context["last_seen_scan"].pk
        constants = [
            context["project"].pk, FindingStatus.NEW, "", context["tool"].pk,
            target.pk if target is not None else None, _EMPTY_LIST, scan_id, scan_id, now, now,
            now, now, on_default,
        ]  # fmt: skip
        casts = {"tags": "::jsonb"}
        binds = ", ".join(f"%s{casts.get(column, '')}" for column in CONSTANT_COLUMNS)
        varying = _quoted(VARYING_COLUMNS)
        # New findings' due dates by severity (apps.findings.sla); the update leaves them be.
        due = dict(due_dates or {})
        due_sql = "CASE severity" + " WHEN %s THEN %s::date" * len(due) + " END"
        self.create_stage = (
            f"CREATE TEMP TABLE {STAGE} ON COMMIT DROP AS "  # noqa: S608 - module constants
            f"SELECT {varying} FROM findings_finding WITH NO DATA"
        )
        self.copy = f"COPY {STAGE} ({varying}) FROM STDIN"
        # xmax is 0 only on rows this statement inserted (not updated). Status is never in
        # the update list, so RETURNING gives an existing finding's status before this
        # sighting: that is how resolved findings to reopen are found.
        self.write = (
            "WITH up AS ("  # noqa: S608 - module constants
            f"INSERT INTO findings_finding ({varying}, {_quoted(CONSTANT_COLUMNS)}, due_date) "
            f"SELECT {varying}, {binds}, {due_sql if due else 'NULL::date'} FROM {STAGE} "
            "ON CONFLICT (project_id, fingerprint) DO UPDATE SET "
            f"{update_clause(refreshed, on_default_branch=on_default)} "
            "RETURNING id, fingerprint, (xmax = 0) AS inserted, status), "
            "created AS (INSERT INTO findings_findingevent "
            "(finding_id, event_type, from_value, to_value, comment, scan_id, created_at) "
            "SELECT id, %s, '', %s, '', %s, %s FROM up WHERE inserted), "
            f"seen AS ({_SEEN}), "
            f"extended AS ({_EXTENDED}), "
            f"opened AS ({_OPENED}) "
            "SELECT count(*) FILTER (WHERE inserted), "
            "coalesce(array_agg(id) FILTER (WHERE NOT inserted AND status = ANY(%s)), '{}') "
            "FROM up"
        )
        q, previous = sighting.seq, sighting.previous
        self.params = [
            *constants, *(value for pair in due.items() for value in pair),
            FindingEventType.CREATED, FindingStatus.NEW, scan_id, now,
            q, q, sighting.stream_id, q, previous,  # seen
            q, tool_result.pk, scan_id, now, previous,  # extended
            sighting.stream_id, q, q, tool_result.pk, scan_id, tool_result.pk, scan_id, now,
            now,  # opened
            list(REOPENABLE) if on_default else [],
        ]  # fmt: skip
        self.lock = "SELECT 1 FROM findings_sightingstream WHERE id = %s FOR UPDATE"
        self.lock_params = [sighting.stream_id]

    def run(self, cursor: Any, rows: list[tuple[Any, ...]]) -> Written:
        """Write one batch (`copy_row` tuples with distinct fingerprints) through `cursor`,
        a cursor of the transaction's connection (Django's or psycopg's own)."""
        # Dropped explicitly too: inside an outer transaction ON COMMIT comes too late.
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
        cursor.execute(self.lock, self.lock_params)
        cursor.execute(self.create_stage)
        raw = getattr(cursor, "cursor", cursor)  # psycopg's own cursor, for COPY
        with raw.copy(self.copy) as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(self.write, self.params)
        created, reopenable = cursor.fetchone()
        cursor.execute(f"DROP TABLE {STAGE}")
        return Written(created=int(created), reopenable=list(reopenable))


class BatchWriter:
    """Runs `BatchStatement.run` for each batch, on a thread of its own when `overlapped`:
    `put` hands a batch over (waiting while the previous one is still queued) and `close`
    waits for the last and re-raises what failed. The thread uses the caller's connection
    (psycopg serialises its use), and the caller touches the database only after `close`."""

    def __init__(self, statement: BatchStatement, connection: Any, *, overlapped: bool) -> None:
        self.statement = statement
        self.written: list[Written] = []
        self._error: BaseException | None = None
        self._raw = connection.connection if overlapped else None
        self._cursor: Callable[[], Any] = connection.cursor
        self._queue: queue.Queue[list[tuple[Any, ...]] | None] = queue.Queue(maxsize=1)
        self._thread: threading.Thread | None = None
        if self._raw is not None:
            self._thread = threading.Thread(target=self._drain, name="ingest-writer", daemon=True)
            self._thread.start()

    def put(self, rows: list[tuple[Any, ...]]) -> None:
        if self._error is not None:
            raise self._error
        if self._thread is None:
            with self._cursor() as cursor:
                self.written.append(self.statement.run(cursor, rows))
            return
        self._queue.put(rows)

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        if self._error is not None:
            raise self._error

    def _drain(self) -> None:
        assert self._raw is not None
        while (rows := self._queue.get()) is not None:
            if self._error is not None:
                continue  # the caller sees it at its next put or at close
            try:
                with self._raw.cursor() as cursor:
                    self.written.append(self.statement.run(cursor, rows))
            except BaseException as exc:  # handed to the caller's thread
                self._error = exc
