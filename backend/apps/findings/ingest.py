"""Findings ingestion: the one path from parsed tool output (scans and uploads) to findings.

normalise → fingerprint → bulk upsert into the project's findings (a few queries per batch,
never one per finding) → one FindingOccurrence per sighting. Idempotent: re-ingesting the same
tool result (a retried task) adds no finding, occurrence or event.

The lifecycle follows the default branch. A scan of another ref (`Scan.is_default_branch`
False) creates the findings it alone has seen with `on_default_branch` False and refreshes
those, but never rewrites a finding of the default branch (its location, last sighting) nor
reopens one: it only records its own sighting. A default-branch sighting puts a finding on the
default branch.

On PostgreSQL a batch is COPYed into a temporary table and upserted with one
INSERT … ON CONFLICT, which is an order of magnitude faster than compiling a multi-row INSERT
(see bench/ingest.py); other databases (the embedded SQLite default) use bulk_create.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Field
from django.utils import timezone

from apps.findings.fingerprints import SourceReader, fingerprints_for
from apps.findings.lifecycle import REOPENABLE, findings_reopen
from apps.findings.models import (
    SEVERITY_RANK,
    Finding,
    FindingEvent,
    FindingEventType,
    FindingOccurrence,
    FindingStatus,
)
from apps.findings.secrets import SecretMasker
from apps.tools.adapters.base import NormalizedFinding

BATCH_SIZE = 10_000
# An ingest creating this many findings refreshes the planner's statistics of the findings
# tables (see _statistics_refresh).
ANALYZE_AFTER_CREATED = 5_000

# Fields a new sighting refreshes on an existing finding. Triage fields (status, assignee,
# tags, due date) and first-seen data are never overwritten by a scan.
REFRESHED_FIELDS = [
    "title", "description", "severity", "severity_rank", "confidence", "rule_id", "cwe", "cve",
    "file_path", "line_start", "line_end", "url", "http_method", "parameter", "package_name",
    "package_version", "fixed_version", "image", "image_layer", "snippet", "evidence",
    "remediation", "references", "last_seen_scan", "last_seen_at", "updated_at",
]  # fmt: skip

_TEXT_LIMITS = {"title": 500, "rule_id": 300, "file_path": 1024, "url": 2048, "parameter": 300,
                "package_name": 300, "package_version": 100, "fixed_version": 100, "cve": 64,
                "image": 500, "image_layer": 200, "http_method": 16}  # fmt: skip
_SNIPPET_LIMIT = 4000


@dataclass
class IngestResult:
    total: int = 0
    created: int = 0
    existing: int = 0
    reopened: int = 0


def _clip(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _finding_row(
    *, fingerprint: str, normalized: NormalizedFinding, context: dict[str, Any]
) -> Finding:
    values: dict[str, Any] = {
        name: _clip(getattr(normalized, name), limit) for name, limit in _TEXT_LIMITS.items()
    }
    evidence = dict(normalized.evidence)
    if normalized.host:
        evidence.setdefault("host", normalized.host)
    if normalized.port is not None:
        evidence.setdefault("port", normalized.port)
    return Finding(
        fingerprint=fingerprint,
        description=normalized.description,
        severity=normalized.severity,
        severity_rank=SEVERITY_RANK[normalized.severity],
        confidence=normalized.confidence,
        cwe=normalized.cwe,
        line_start=normalized.line_start,
        line_end=normalized.line_end,
        snippet=_clip(normalized.snippet, _SNIPPET_LIMIT),
        evidence=evidence,
        remediation=normalized.remediation,
        references=list(normalized.references),
        status=FindingStatus.NEW,
        **values,
        **context,
    )


def _batches(
    pairs: Iterable[tuple[str, NormalizedFinding]], size: int
) -> Iterator[list[tuple[str, NormalizedFinding]]]:
    iterator = iter(pairs)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def findings_ingest(
    *,
    project: Any,
    findings: Iterable[NormalizedFinding],
    tool: Any,
    tool_result: Any,
    target: Any = None,
    target_root: Path | None = None,
    batch_size: int = BATCH_SIZE,
    masker: SecretMasker | None = None,
) -> IngestResult:
    """Upsert `findings` reported by `tool_result` into `project`. Returns the counts.
    `masker` (given by a caller that keeps the raw output) collects the secret values that
    were masked, also when ingestion stops half way."""
    scan = tool_result.scan
    now = timezone.now()
    target_key = f"target:{target.pk}" if target is not None else "target:none"
    reader = SourceReader(target_root)
    # Secrets are masked before anything is built from a finding (rows, fingerprints).
    masker = masker or SecretMasker(tool.slug)
    masker.source = reader
    masked = (masker(finding) for finding in findings)
    pairs = fingerprints_for(masked, tool_id=tool.slug, target_key=target_key, reader=reader)
    context = {
        "project": project,
        "tool": tool,
        "target": target,
        "first_seen_scan": scan,
        "last_seen_scan": scan,
        "first_seen_at": now,
        "last_seen_at": now,
        "on_default_branch": bool(getattr(scan, "is_default_branch", True)),
    }
    result = IngestResult()
    upsert = _upsert_postgres if connection.vendor == "postgresql" else _upsert_orm
    for batch in _batches(pairs, batch_size):
        unique = dict(batch)  # a report may repeat the same finding; keep one
        result.total += len(unique)
        _ingest_batch(
            upsert=upsert,
            project=project, unique=unique, context=context, tool_result=tool_result,
            scan=scan, now=now, result=result,
        )  # fmt: skip
    if result.created >= ANALYZE_AFTER_CREATED and connection.vendor == "postgresql":
        _statistics_refresh()
    return result


# The findings columns the scan's finalisation, lists and compare filter or group on.
_ANALYZED_FINDING_COLUMNS = (
    "id", "project_id", "tool_id", "target_id", "status", "severity", "severity_rank",
    "on_default_branch", "first_seen_scan_id", "last_seen_scan_id", "resolved_in_scan_id",
    "assignee_id", "last_seen_at",
)  # fmt: skip
_ANALYZED: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (Finding, _ANALYZED_FINDING_COLUMNS),
    (FindingOccurrence, ()),
    (FindingEvent, ()),
)


def _statistics_refresh() -> None:
    """ANALYZE the tables a large ingest grew. Until autovacuum gets to them (a minute or more
    later) the planner sizes them as they were, and on tables it believes empty the scan's
    finalisation (summary counts, auto-resolve) joins by nested loops: seconds for a first
    import of 10,000 findings instead of milliseconds. ANALYZE samples a fixed number of rows,
    so its cost does not grow with the table. Of the findings, only the columns those
    queries filter, join or group on: statistics of the long text and JSON columns
    (descriptions, snippets, evidence) cost most of a full ANALYZE and guide no plan."""
    with connection.cursor() as cursor:
        for model, columns in _ANALYZED:
            listed = f" ({', '.join(columns)})" if columns else ""
            cursor.execute(f'ANALYZE "{model._meta.db_table}"{listed}')


@transaction.atomic
def _ingest_batch(
    *,
    upsert: Any,
    project: Any,
    unique: dict[str, NormalizedFinding],
    context: dict[str, Any],
    tool_result: Any,
    scan: Any,
    now: Any,
    result: IngestResult,
) -> None:
    if connection.vendor == "postgresql":
        # Safe: the tool result's final status is committed synchronously right after
        # ingestion, and that commit flushes this transaction's WAL with it.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
    ids, created, reopenable = upsert(unique=unique, context=context, project=project, now=now)
    created_ids = [ids[fp] for fp in created]
    result.created += len(created_ids)
    result.existing += len(unique) - len(created_ids)

    _events_created(ids=created_ids, scan=scan, now=now)
    if context["on_default_branch"]:  # only the default branch reopens (upserts report none)
        result.reopened += findings_reopen(ids=[ids[fp] for fp in reopenable], scan=scan, now=now)
    if connection.vendor == "postgresql":
        _occurrences_postgres(ids=ids, unique=unique, tool_result=tool_result, scan=scan, now=now)
    else:
        FindingOccurrence.objects.bulk_create(
            [
                FindingOccurrence(
                    finding_id=ids[fp],
                    tool_result=tool_result,
                    scan=scan,
                    file_path=_clip(nf.file_path, 1024),
                    line_start=nf.line_start,
                    line_end=nf.line_end,
                )
                for fp, nf in unique.items()
            ],
            ignore_conflicts=True,
        )


def _events_created(*, ids: list[int], scan: Any, now: Any) -> None:
    """One `created` event per new finding, in one statement."""
    if not ids:
        return
    if connection.vendor != "postgresql":
        FindingEvent.objects.bulk_create(
            FindingEvent(finding_id=pk, event_type=FindingEventType.CREATED, scan=scan,
                         to_value=FindingStatus.NEW)
            for pk in ids
        )  # fmt: skip
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO findings_findingevent "
            "(finding_id, event_type, from_value, to_value, comment, scan_id, created_at) "
            "SELECT unnest(%s::bigint[]), %s, '', %s, '', %s, %s",
            [ids, FindingEventType.CREATED, FindingStatus.NEW, scan.pk, now],
        )


# What an upsert reports: fingerprint → id, the fingerprints it created, and fingerprint →
# previous status of the findings that were resolved and are now reported again.
Upserted = tuple[dict[str, int], list[str], dict[str, str]]


def _upsert_orm(
    *, unique: dict[str, NormalizedFinding], context: dict[str, Any], project: Any, now: Any
) -> Upserted:
    """The upsert through bulk_create, for databases other than PostgreSQL."""
    on_default = context["on_default_branch"]
    existing = {
        fingerprint: (pk, status, default)
        for fingerprint, pk, status, default in Finding.objects.filter(
            project=project, fingerprint__in=list(unique)
        ).values_list("fingerprint", "id", "status", "on_default_branch")
    }
    # Another ref's scan leaves the default branch's findings as they are.
    kept = {} if on_default else {fp: row[0] for fp, row in existing.items() if row[2]}
    rows = [
        _finding_row(fingerprint=fp, normalized=nf, context=context)
        for fp, nf in unique.items()
        if fp not in kept
    ]
    Finding.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["project", "fingerprint"],
        update_fields=REFRESHED_FIELDS + (["on_default_branch"] if on_default else []),
    )
    ids = {row.fingerprint: row.pk for row in rows}
    if any(pk is None for pk in ids.values()):  # backends that do not return ids on upsert
        ids = dict(
            Finding.objects.filter(project=project, fingerprint__in=list(ids)).values_list(
                "fingerprint", "id"
            )
        )
    ids.update(kept)
    reopenable = {
        fp: status for fp, (_, status, _) in existing.items() if on_default and status in REOPENABLE
    }
    return ids, [fp for fp in unique if fp not in existing], reopenable


_STAGE = "_seculite_finding_stage"


# Finding columns written by the COPY path, in the order `_copy_row` produces them.
_COPY_COLUMNS = (
    "project_id", "fingerprint", "title", "description", "severity", "severity_rank",
    "confidence", "status", "status_reason", "tool_id", "rule_id", "target_id", "cwe", "cve",
    "file_path", "line_start", "line_end", "url", "http_method", "parameter", "package_name",
    "package_version", "fixed_version", "image", "image_layer", "snippet", "evidence",
    "remediation", "references", "tags", "first_seen_scan_id", "last_seen_scan_id",
    "first_seen_at", "last_seen_at", "created_at", "updated_at", "on_default_branch",
)  # fmt: skip


def _update_clause(*, on_default_branch: bool) -> str:
    """The DO UPDATE SET list of the upsert. A default-branch sighting refreshes every
    REFRESHED_FIELDS column and puts the finding on the default branch; another ref's
    sighting refreshes only findings that are not on the default branch."""
    refreshed = {cast(Field, Finding._meta.get_field(name)).column for name in REFRESHED_FIELDS}
    columns = [column for column in _COPY_COLUMNS if column in refreshed]
    if on_default_branch:
        return ", ".join(
            [*(f'"{c}" = EXCLUDED."{c}"' for c in columns), '"on_default_branch" = TRUE']
        )
    return ", ".join(
        f'"{c}" = CASE WHEN findings_finding.on_default_branch THEN findings_finding."{c}" '
        f'ELSE EXCLUDED."{c}" END'
        for c in columns
    )


def _copy_row(fingerprint: str, nf: NormalizedFinding, ids: tuple[Any, ...], now: Any) -> tuple:
    project_id, tool_id, target_id, scan_id, on_default_branch = ids
    evidence = dict(nf.evidence)
    if nf.host:
        evidence.setdefault("host", nf.host)
    if nf.port is not None:
        evidence.setdefault("port", nf.port)
    limits = _TEXT_LIMITS
    return (
        project_id, fingerprint, _clip(nf.title, limits["title"]), nf.description,
        nf.severity, SEVERITY_RANK[nf.severity], nf.confidence, FindingStatus.NEW, "", tool_id,
        _clip(nf.rule_id, limits["rule_id"]), target_id, nf.cwe, _clip(nf.cve, limits["cve"]),
        _clip(nf.file_path, limits["file_path"]), nf.line_start, nf.line_end,
        _clip(nf.url, limits["url"]), _clip(nf.http_method, limits["http_method"]),
        _clip(nf.parameter, limits["parameter"]),
        _clip(nf.package_name, limits["package_name"]),
        _clip(nf.package_version, limits["package_version"]),
        _clip(nf.fixed_version, limits["fixed_version"]), _clip(nf.image, limits["image"]),
        _clip(nf.image_layer, limits["image_layer"]), _clip(nf.snippet, _SNIPPET_LIMIT),
        json.dumps(evidence), nf.remediation, json.dumps(list(nf.references)), "[]",
        scan_id, scan_id, now, now, now, now, on_default_branch,
    )  # fmt: skip


def _upsert_postgres(
    *, unique: dict[str, NormalizedFinding], context: dict[str, Any], project: Any, now: Any
) -> Upserted:
    """COPY the batch into a temporary table, then one INSERT … ON CONFLICT DO UPDATE.

    Only constants of this module are formatted into the SQL; all data travels through COPY.
    Status is never in the update list, so RETURNING gives an existing finding's status as it
    was before this sighting: that is how resolved findings to reopen are found.
    """
    names = ", ".join(f'"{column}"' for column in _COPY_COLUMNS)
    on_default = context["on_default_branch"]
    updates = _update_clause(on_default_branch=on_default)
    target = context["target"]
    row_ids = (project.pk, context["tool"].pk, target.pk if target else None,
               context["last_seen_scan"].pk, on_default)  # fmt: skip
    with connection.cursor() as cursor:
        # Dropped explicitly too: inside an outer transaction ON COMMIT comes too late.
        cursor.execute(f"DROP TABLE IF EXISTS {_STAGE}")
        cursor.execute(
            f"CREATE TEMP TABLE {_STAGE} ON COMMIT DROP AS "  # noqa: S608 - module constants
            f"SELECT {names} FROM findings_finding WITH NO DATA"
        )
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        with raw.copy(f"COPY {_STAGE} ({names}) FROM STDIN") as copy:
            for fingerprint, nf in unique.items():
                copy.write_row(_copy_row(fingerprint, nf, row_ids, now))
        cursor.execute(
            f"INSERT INTO findings_finding ({names}) SELECT {names} FROM {_STAGE} "  # noqa: S608
            f"ON CONFLICT (project_id, fingerprint) DO UPDATE SET {updates} "
            # xmax is 0 only on rows this statement inserted (not updated).
            f"RETURNING fingerprint, id, (xmax = 0), status"
        )
        rows = cursor.fetchall()
        cursor.execute(f"DROP TABLE {_STAGE}")
    ids = {fp: pk for fp, pk, _, _ in rows}
    created = [fp for fp, _, inserted, _ in rows if inserted]
    reopenable = {fp: status for fp, _, inserted, status in rows
                  if on_default and not inserted and status in REOPENABLE}  # fmt: skip
    return ids, created, reopenable


def _occurrences_postgres(
    *,
    ids: dict[str, int],
    unique: dict[str, NormalizedFinding],
    tool_result: Any,
    scan: Any,
    now: Any,
) -> None:
    fingerprints = list(unique)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO findings_findingoccurrence "
            "(finding_id, tool_result_id, scan_id, file_path, line_start, line_end, seen_at) "
            "SELECT s.finding_id, %s, %s, s.file_path, s.line_start, s.line_end, %s "
            "FROM unnest(%s::bigint[], %s::text[], %s::int[], %s::int[]) "
            "AS s(finding_id, file_path, line_start, line_end) "
            "ON CONFLICT (finding_id, tool_result_id) DO NOTHING",
            [
                tool_result.pk, scan.pk, now,
                [ids[fp] for fp in fingerprints],
                [_clip(unique[fp].file_path, 1024) for fp in fingerprints],
                [unique[fp].line_start for fp in fingerprints],
                [unique[fp].line_end for fp in fingerprints],
            ],
        )  # fmt: skip
