"""What scans change on findings by themselves: auto-resolve what is gone, reopen what is back.

A finding is auto-resolved only by a run that really looked where the finding was:
- a complete run (completed / no findings), or a partial one for findings in files it analysed;
- of the same tool on the same target, with the same effective configuration (`config_digest`)
  as the run that last saw the finding: another rule set or port list proves nothing;
- newer than every scan that saw the finding. Scans are ordered by id, which the database
  assigns from one sequence when the scan is created: no ties, no clock skew between web
  nodes, and it is the order users see them in. Scans of one configuration may run at once
  (they are ordered, not serialised): an older one finalising last resolves nothing a newer
  one saw, and an older one reporting a finding late does not reopen what a newer one resolved.
Only scans of the default branch (`Scan.is_default_branch`) resolve or reopen findings, only
findings on the default branch, and only the default branch's sightings count as the last one:
a branch or pull-request scan is compared with the default branch, never changes it.
A person's triage is never lost: false positives and accepted risks are never touched, and a
confirmed finding that is auto-resolved comes back confirmed when it is reported again.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from apps.dashboard.metric_rollups import metrics_rollups_schedule
from apps.findings.models import (
    OPEN_STATUSES,
    Finding,
    FindingEvent,
    FindingEventType,
    FindingOccurrence,
    FindingStatus,
)
from apps.findings.sightings import seen_by_result
from apps.scans.models import ToolResultStatus

REOPENABLE = (FindingStatus.RESOLVED, FindingStatus.AUTO_RESOLVED)
COMPLETE = (ToolResultStatus.COMPLETED, ToolResultStatus.NO_FINDINGS)
CHUNK = 2000  # findings locked and resolved per transaction


def config_digest(*, tool: str, config: Mapping[str, Any], target: Any) -> str:
    """sha256 of what a run looks at: the tool's effective configuration and the target's
    identity and path filters. The branch or commit is left out on purpose: a newer version of
    the code is exactly what should close findings."""
    metadata = target.metadata if isinstance(target.metadata, dict) else {}
    look = {
        "tool": tool,
        "config": config,
        "target": {
            "asset_type": target.asset_type,
            "identifier": target.identifier,
            **{
                key: sorted(str(glob) for glob in metadata.get(key) or [])
                for key in ("include_paths", "exclude_paths")
            },
        },
    }
    canonical = json.dumps(look, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _relative(path: str) -> str | None:
    """`path` normalised for comparison, or None when it is not a relative path."""
    path = path.replace("\\", "/")
    if not path or path.startswith("/"):
        return None
    return posixpath.normpath(path)


def unanalysed_paths(coverage: Any) -> tuple[str, ...] | None:
    """The files (or folders) a partial run did not analyse, from its coverage; None when it
    cannot say which (list cut short, missing or unreadable), so it may resolve nothing."""
    if not isinstance(coverage, dict):
        return None
    entries, count = coverage.get("unanalysed"), coverage.get("unanalysed_count")
    if not isinstance(entries, list) or not isinstance(count, int) or count > len(entries):
        return None
    paths = []
    for entry in entries:
        raw = entry.get("path") if isinstance(entry, dict) else None
        path = _relative(raw) if isinstance(raw, str) else None
        if path is None:
            return None
        paths.append(path)
    return tuple(paths)


def _analysed(file_path: str, unanalysed: tuple[str, ...]) -> bool:
    path = _relative(file_path)
    if path is None:  # no file: a partial run cannot vouch for it
        return False
    return not any(
        skipped == "." or path == skipped or path.startswith(skipped + "/")
        for skipped in unanalysed
    )


def findings_auto_resolve(*, scan: Any, results: Iterable[Any]) -> int:
    """Auto-resolve the open findings that `scan`'s runs looked for and no longer report.
    Returns how many were resolved; always 0 for a scan of another ref than the default branch."""
    if not getattr(scan, "is_default_branch", True):
        return 0
    now = timezone.now()
    resolved = 0
    for result in results:
        if not result.config_digest or result.target_id is None:
            continue
        unanalysed: tuple[str, ...] | None = ()
        if result.status == ToolResultStatus.PARTIAL:
            unanalysed = unanalysed_paths(result.coverage)
        elif result.status not in COMPLETE:
            continue
        if unanalysed is None or result.sighting_seq is None:  # never ingested: saw nothing
            continue
        gone = (
            Finding.objects.filter(
                project_id=scan.project_id,
                tool_id=result.tool_id,
                target_id=result.target_id,
                status__in=OPEN_STATUSES,
                on_default_branch=True,
            )
            .exclude(seen_by_result(result))
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        ids = list(gone)
        for start in range(0, len(ids), CHUNK):
            resolved += _resolve(
                ids=ids[start : start + CHUNK], scan=scan, result=result,
                unanalysed=unanalysed, now=now,
            )  # fmt: skip
    if resolved:
        metrics_rollups_schedule(project_ids=[scan.project_id])
    return resolved


@transaction.atomic
def _resolve(
    *, ids: list[int], scan: Any, result: Any, unanalysed: tuple[str, ...], now: Any
) -> int:
    # Rows another transaction holds are being reported by a run right now: skip them.
    locked = list(
        Finding.objects.filter(pk__in=ids, status__in=OPEN_STATUSES)
        .select_for_update(skip_locked=True)
        .values_list("pk", flat=True)
    )
    if not locked:
        return 0
    # A new statement, so sightings committed before the locks were taken are visible.
    # The default branch's last sighting: the end of its default-branch range seen last.
    last = FindingOccurrence.objects.filter(finding_id=OuterRef("pk"), stream__ref_key="").order_by(
        "-last_scan_id", "-id"
    )
    rows = (
        Finding.objects.filter(pk__in=locked)
        .annotate(
            last_seen_by=Subquery(last.values("last_scan_id")[:1]),
            last_digest=Subquery(last.values("last_tool_result__config_digest")[:1]),
        )
        .filter(last_seen_by__lt=scan.pk, last_digest=result.config_digest)
        .values_list("pk", "status", "file_path")
    )
    partial = result.status == ToolResultStatus.PARTIAL
    chosen = [
        (pk, status) for pk, status, path in rows if not partial or _analysed(path, unanalysed)
    ]
    if not chosen:
        return 0
    Finding.objects.filter(pk__in=[pk for pk, _ in chosen]).update(
        status=FindingStatus.AUTO_RESOLVED, resolved_at=now, resolved_in_scan=scan, updated_at=now
    )
    gone = f"No longer reported by {result.tool.name}" + (
        " in the files it analysed (a partial run)." if partial else "."
    )
    kept = " It was confirmed and comes back confirmed if reported again."
    FindingEvent.objects.bulk_create(
        FindingEvent(
            finding_id=pk,
            event_type=FindingEventType.AUTO_RESOLVED,
            scan=scan,
            from_value=status,
            to_value=FindingStatus.AUTO_RESOLVED,
            comment=gone + kept if status == FindingStatus.CONFIRMED else gone,
        )
        for pk, status in chosen
    )
    return len(chosen)


def _triage_before_auto_resolve(ids: list[int]) -> dict[int, str]:
    """The status each finding had when it was last auto-resolved, from its events."""
    before: dict[int, str] = {}
    events = (
        FindingEvent.objects.filter(finding_id__in=ids, event_type=FindingEventType.AUTO_RESOLVED)
        .order_by("finding_id", "-id")
        .values_list("finding_id", "from_value")
    )
    for finding_id, status in events:
        before.setdefault(finding_id, status)
    return before


def findings_reopen(*, ids: list[int], scan: Any, now: Any) -> int:
    """Reopen the resolved findings among `ids` that `scan` reports again; called by the ingest
    while it holds their rows. A confirmed finding that was auto-resolved comes back confirmed;
    one auto-resolved by a newer scan than `scan` stays resolved. Returns how many reopened."""
    if not ids:
        return 0
    resolved = Finding.objects.filter(pk__in=ids, status__in=REOPENABLE).values_list(
        "pk", "status", "resolved_in_scan_id"
    )
    rows = [
        (pk, status)
        for pk, status, resolved_in in resolved
        if not (status == FindingStatus.AUTO_RESOLVED and resolved_in and resolved_in > scan.pk)
    ]
    before = _triage_before_auto_resolve(
        [pk for pk, status in rows if status == FindingStatus.AUTO_RESOLVED]
    )
    changes: dict[str, list[tuple[int, str]]] = {}
    for pk, status in rows:
        confirmed = status == FindingStatus.AUTO_RESOLVED and (
            before.get(pk) == FindingStatus.CONFIRMED
        )
        changes.setdefault(
            FindingStatus.CONFIRMED if confirmed else FindingStatus.REOPENED, []
        ).append((pk, status))
    for to, group in changes.items():
        Finding.objects.filter(pk__in=[pk for pk, _ in group]).update(
            status=to, resolved_at=None, resolved_in_scan=None, updated_at=now
        )
    back = "Reported again by a scan."
    restored = " Back to confirmed, as it was before it was auto-resolved."
    FindingEvent.objects.bulk_create(
        FindingEvent(
            finding_id=pk,
            event_type=FindingEventType.REOPENED,
            scan=scan,
            from_value=status,
            to_value=to,
            comment=back + restored if to == FindingStatus.CONFIRMED else back,
        )
        for to, group in changes.items()
        for pk, status in group
    )
    return len(rows)
