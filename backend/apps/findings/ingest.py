"""Findings ingestion: the one path from parsed tool output (scans and uploads) to findings.

normalise → fingerprint → code context (with a scanned tree: the lines around each finding,
masked, apps.findings.code_context) → bulk upsert into the project's findings (a few queries
per batch, never one per finding) → the sighting ranges (apps.findings.sightings: an unchanged
re-scan extends them in place and adds no row). Idempotent: re-ingesting the same tool result
(a retried task) adds no finding, occurrence or event.

The lifecycle follows the default branch. A scan of another ref (`Scan.is_default_branch`
False) creates the findings it alone has seen with `on_default_branch` False and refreshes
those, but never rewrites a finding of the default branch (its location, last sighting) nor
reopens one: it only records its own sighting. A default-branch sighting puts a finding on the
default branch.

On PostgreSQL a batch is COPYed into a temporary table and written by one INSERT … ON CONFLICT
(with the events and occurrences), an order of magnitude faster than compiling a multi-row
INSERT (see bench/ingest.py and ingest_postgres); inside the caller's transaction the batches
are written while the next is parsed. Other databases (the embedded SQLite default) use
bulk_create.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from apps.dashboard.metric_rollups import metrics_rollups_schedule
from apps.findings.code_context import CodeContextReader
from apps.findings.fingerprints import SourceReader, fingerprints_for
from apps.findings.grouping import issue_groups_after_ingest
from apps.findings.ingest_postgres import (
    SNIPPET_LIMIT,
    TEXT_LIMITS,
    BatchStatement,
    BatchWriter,
    clip,
    copy_row,
)
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
from apps.findings.sightings import Sighting, ranges_record_orm, sighting_take, stream_lock
from apps.findings.sla import sla_due_dates
from apps.tools.adapters.base import NormalizedFinding

BATCH_SIZE = 10_000
# Inside the caller's transaction, batches are smaller, so that writing one overlaps parsing
# the next from the first thousands of findings on.
OVERLAPPED_BATCH_SIZE = 2_000
# An ingest creating this many findings refreshes the planner's statistics of the findings
# tables (see _statistics_refresh).
ANALYZE_AFTER_CREATED = 5_000

# Fields a new sighting refreshes on an existing finding. Triage fields (status, assignee,
# tags, due date) and first-seen data are never overwritten by a scan.
REFRESHED_FIELDS = [
    "title", "description", "severity", "severity_rank", "confidence", "rule_id", "cwe", "cve",
    "file_path", "line_start", "line_end", "url", "http_method", "parameter", "package_name",
    "package_version", "fixed_version", "image", "image_layer", "snippet", "evidence",
    "remediation", "references", "code_context", "last_seen_scan", "last_seen_at", "updated_at",
]  # fmt: skip


@dataclass
class IngestResult:
    total: int = 0
    created: int = 0
    existing: int = 0
    reopened: int = 0


def _finding_row(
    *,
    fingerprint: str,
    normalized: NormalizedFinding,
    context: dict[str, Any],
    due_dates: dict[str, Any],
) -> Finding:
    values: dict[str, Any] = {
        name: clip(getattr(normalized, name), limit) for name, limit in TEXT_LIMITS.items()
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
        snippet=clip(normalized.snippet, SNIPPET_LIMIT),
        evidence=evidence,
        remediation=normalized.remediation,
        references=list(normalized.references),
        code_context=dict(normalized.code_context) if normalized.code_context else None,
        status=FindingStatus.NEW,
        due_date=due_dates.get(normalized.severity),  # kept on conflict: not refreshed
        **values,
        **context,
    )


def _with_code_context(
    pairs: Iterable[tuple[str, NormalizedFinding]], contexts: CodeContextReader
) -> Iterator[tuple[str, NormalizedFinding]]:
    """Each finding with the code around its flagged lines (from the tree, masked)."""
    for fingerprint, finding in pairs:
        context = contexts(finding)
        yield (
            fingerprint,
            (dataclasses.replace(finding, code_context=context) if context else finding),
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
    batch_size: int | None = None,
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
    if reader.root is not None:
        pairs = _with_code_context(pairs, CodeContextReader(reader, tool.slug))
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
    # Due dates by severity, written into new findings only (first sight).
    due_dates = sla_due_dates(project_id=project.pk, first_seen_at=now)
    result = IngestResult()
    seen: set[str] = set()
    sighting = sighting_take(tool_result=tool_result, project_id=project.pk)
    if connection.vendor == "postgresql":
        _ingest_postgres(
            pairs=pairs, context=context, tool_result=tool_result, sighting=sighting, scan=scan,
            now=now, result=result, seen=seen, batch_size=batch_size, due_dates=due_dates,
        )  # fmt: skip
    else:
        for batch in _batches(pairs, batch_size or BATCH_SIZE):
            unique = _new_in(batch, seen)
            result.total += len(unique)
            _ingest_batch(
                project=project, unique=unique, context=context, tool_result=tool_result,
                sighting=sighting, scan=scan, now=now, result=result, due_dates=due_dates,
            )  # fmt: skip
    if result.created >= ANALYZE_AFTER_CREATED and connection.vendor == "postgresql":
        _statistics_refresh()
    issue_groups_after_ingest(
        project=project, tool=tool, target=target, since=now, masker=masker,
        created=result.created,
    )  # fmt: skip
    metrics_rollups_schedule(project_ids=[project.pk])
    return result


def _new_in(
    batch: list[tuple[str, NormalizedFinding]], seen: set[str]
) -> dict[str, NormalizedFinding]:
    """The batch's findings not met before in this ingest: a report may repeat one; the
    first sighting is kept."""
    unique: dict[str, NormalizedFinding] = {}
    for fingerprint, finding in batch:
        if fingerprint not in seen:
            seen.add(fingerprint)
            unique[fingerprint] = finding
    return unique


def _ingest_postgres(
    *,
    pairs: Iterable[tuple[str, NormalizedFinding]],
    context: dict[str, Any],
    tool_result: Any,
    sighting: Sighting,
    scan: Any,
    now: Any,
    result: IngestResult,
    seen: set[str],
    batch_size: int | None,
    due_dates: dict[str, Any],
) -> None:
    """COPY and write each batch (see ingest_postgres). Inside the caller's transaction the
    batches are written on a thread of their own while the next is parsed, and together;
    otherwise each batch is its own transaction, as it always was."""
    overlapped = connection.in_atomic_block
    statement = BatchStatement(
        context=context, tool_result=tool_result, sighting=sighting, now=now,
        refreshed=REFRESHED_FIELDS, due_dates=due_dates,
    )  # fmt: skip
    size = batch_size or (OVERLAPPED_BATCH_SIZE if overlapped else BATCH_SIZE)
    if overlapped:
        _synchronous_commit_off()
    writer = BatchWriter(statement, connection, overlapped=overlapped)
    try:
        for batch in _batches(pairs, size):
            unique = _new_in(batch, seen)
            result.total += len(unique)
            rows = [copy_row(fingerprint, finding) for fingerprint, finding in unique.items()]
            if overlapped:
                writer.put(rows)
                continue
            with transaction.atomic():
                _synchronous_commit_off()
                writer.put(rows)
    finally:
        writer.close()
    reopenable: list[int] = []
    for written in writer.written:
        result.created += written.created
        reopenable += written.reopenable
    result.existing = result.total - result.created
    if context["on_default_branch"] and reopenable:  # only the default branch reopens
        for start in range(0, len(reopenable), BATCH_SIZE):
            chunk = reopenable[start : start + BATCH_SIZE]
            result.reopened += findings_reopen(ids=chunk, scan=scan, now=now)


def _synchronous_commit_off() -> None:
    # Safe: the tool result's final status is committed synchronously right after
    # ingestion, and that commit flushes this transaction's WAL with it.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL synchronous_commit TO OFF")


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
    project: Any,
    unique: dict[str, NormalizedFinding],
    context: dict[str, Any],
    tool_result: Any,
    sighting: Sighting,
    scan: Any,
    now: Any,
    result: IngestResult,
    due_dates: dict[str, Any],
) -> None:
    """One batch through the ORM, for databases other than PostgreSQL."""
    stream_lock(sighting.stream_id)
    ids, created, reopenable = _upsert_orm(
        unique=unique, context=context, project=project, due_dates=due_dates
    )
    created_ids = [ids[fp] for fp in created]
    result.created += len(created_ids)
    result.existing += len(unique) - len(created_ids)
    if created_ids:
        FindingEvent.objects.bulk_create(
            FindingEvent(finding_id=pk, event_type=FindingEventType.CREATED, scan=scan,
                         to_value=FindingStatus.NEW)
            for pk in created_ids
        )  # fmt: skip
    if context["on_default_branch"]:  # only the default branch reopens (upserts report none)
        result.reopened += findings_reopen(ids=[ids[fp] for fp in reopenable], scan=scan, now=now)
    locations = {
        ids[fp]: (clip(nf.file_path, 1024), nf.line_start, nf.line_end) for fp, nf in unique.items()
    }
    ranges_record_orm(locations=locations, sighting=sighting, tool_result=tool_result, now=now)


# What an upsert reports: fingerprint → id, the fingerprints it created, and fingerprint →
# previous status of the findings that were resolved and are now reported again.
Upserted = tuple[dict[str, int], list[str], dict[str, str]]


def _upsert_orm(
    *,
    unique: dict[str, NormalizedFinding],
    context: dict[str, Any],
    project: Any,
    due_dates: dict[str, Any],
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
        _finding_row(fingerprint=fp, normalized=nf, context=context, due_dates=due_dates)
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
