"""Findings ingestion: the one path from parsed tool output (scans and uploads) to findings.

normalise → fingerprint → bulk upsert into the project's findings (a few queries per batch,
never one per finding) → one FindingOccurrence per sighting. Idempotent: re-ingesting the same
tool result (a retried task) adds no finding, occurrence or event.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.findings.fingerprints import SourceReader, fingerprints_for
from apps.findings.models import (
    SEVERITY_RANK,
    Finding,
    FindingEvent,
    FindingEventType,
    FindingOccurrence,
    FindingStatus,
)
from apps.tools.adapters.base import NormalizedFinding

BATCH_SIZE = 2000
REOPENABLE = (FindingStatus.RESOLVED, FindingStatus.AUTO_RESOLVED)

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
) -> IngestResult:
    """Upsert `findings` reported by `tool_result` into `project`. Returns the counts."""
    scan = tool_result.scan
    now = timezone.now()
    target_key = f"target:{target.pk}" if target is not None else "target:none"
    reader = SourceReader(target_root)
    pairs = fingerprints_for(findings, tool_id=tool.slug, target_key=target_key, reader=reader)
    context = {
        "project": project,
        "tool": tool,
        "target": target,
        "first_seen_scan": scan,
        "last_seen_scan": scan,
        "first_seen_at": now,
        "last_seen_at": now,
    }
    result = IngestResult()
    for batch in _batches(pairs, batch_size):
        unique = dict(batch)  # a report may repeat the same finding; keep one
        result.total += len(batch)
        _ingest_batch(
            project=project, unique=unique, context=context, tool_result=tool_result,
            scan=scan, now=now, result=result,
        )  # fmt: skip
    return result


@transaction.atomic
def _ingest_batch(
    *,
    project: Any,
    unique: dict[str, NormalizedFinding],
    context: dict[str, Any],
    tool_result: Any,
    scan: Any,
    now: Any,
    result: IngestResult,
) -> None:
    existing = dict(
        Finding.objects.filter(project=project, fingerprint__in=list(unique)).values_list(
            "fingerprint", "status"
        )
    )
    rows = [
        _finding_row(fingerprint=fp, normalized=nf, context=context) for fp, nf in unique.items()
    ]
    Finding.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["project", "fingerprint"],
        update_fields=REFRESHED_FIELDS,
    )
    ids = {row.fingerprint: row.pk for row in rows}
    if any(pk is None for pk in ids.values()):  # backends that do not return ids on upsert
        ids = dict(
            Finding.objects.filter(project=project, fingerprint__in=list(unique)).values_list(
                "fingerprint", "id"
            )
        )
    created_ids = [ids[fp] for fp in unique if fp not in existing]
    reopened_ids = [ids[fp] for fp, status in existing.items() if status in REOPENABLE]
    result.created += len(created_ids)
    result.existing += len(unique) - len(created_ids)
    result.reopened += len(reopened_ids)

    if reopened_ids:
        Finding.objects.filter(pk__in=reopened_ids, status__in=REOPENABLE).update(
            status=FindingStatus.REOPENED, resolved_at=None, resolved_in_scan=None, updated_at=now
        )
    events = [
        FindingEvent(finding_id=pk, event_type=FindingEventType.CREATED, scan=scan,
                     to_value=FindingStatus.NEW)
        for pk in created_ids
    ] + [
        FindingEvent(finding_id=pk, event_type=FindingEventType.REOPENED, scan=scan,
                     from_value=existing_status, to_value=FindingStatus.REOPENED,
                     comment="Reported again by a scan.")
        for pk, existing_status in (
            (ids[fp], status) for fp, status in existing.items() if status in REOPENABLE
        )
    ]  # fmt: skip
    FindingEvent.objects.bulk_create(events)
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


def findings_auto_resolve(*, scan: Any, successful_results: Iterable[Any]) -> int:
    """Mark `auto_resolved` every open finding that a successful run of the same tool on the
    same target no longer reports. Triaged findings (false positive, accepted risk) and
    findings already resolved stay as they are. Returns how many were resolved."""
    open_statuses = (FindingStatus.NEW, FindingStatus.CONFIRMED, FindingStatus.REOPENED)
    now = timezone.now()
    resolved = 0
    for tool_result in successful_results:
        stale = Finding.objects.filter(
            project_id=scan.project_id,
            tool_id=tool_result.tool_id,
            target_id=tool_result.target_id,
            status__in=open_statuses,
        ).exclude(occurrences__tool_result=tool_result)
        with transaction.atomic():
            rows = list(stale.select_for_update().values_list("id", "status"))
            if not rows:
                continue
            ids = [pk for pk, _ in rows]
            Finding.objects.filter(pk__in=ids).update(
                status=FindingStatus.AUTO_RESOLVED,
                resolved_at=now,
                resolved_in_scan=scan,
                updated_at=now,
            )
            FindingEvent.objects.bulk_create(
                FindingEvent(
                    finding_id=pk,
                    event_type=FindingEventType.AUTO_RESOLVED,
                    scan=scan,
                    from_value=status,
                    to_value=FindingStatus.AUTO_RESOLVED,
                    comment=f"No longer reported by {tool_result.tool.name}.",
                )
                for pk, status in rows
            )
            resolved += len(ids)
    return resolved
