"""What scans change on findings by themselves: auto-resolve what is gone, reopen what is back."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.findings.models import Finding, FindingEvent, FindingEventType, FindingStatus
from apps.scans.models import ToolResultStatus

REOPENABLE = (FindingStatus.RESOLVED, FindingStatus.AUTO_RESOLVED)
RESOLVING = (ToolResultStatus.COMPLETED, ToolResultStatus.NO_FINDINGS)


def findings_reopen(*, reopenable: dict[int, str], scan: Any, now: Any) -> int:
    """Reopen the resolved findings (id → status before this sighting) a scan reports again."""
    if not reopenable:
        return 0
    Finding.objects.filter(pk__in=list(reopenable), status__in=REOPENABLE).update(
        status=FindingStatus.REOPENED, resolved_at=None, resolved_in_scan=None, updated_at=now
    )
    FindingEvent.objects.bulk_create(
        FindingEvent(finding_id=pk, event_type=FindingEventType.REOPENED, scan=scan,
                     from_value=status, to_value=FindingStatus.REOPENED,
                     comment="Reported again by a scan.")
        for pk, status in reopenable.items()
    )  # fmt: skip
    return len(reopenable)


def findings_auto_resolve(*, scan: Any, results: Iterable[Any]) -> int:
    """Mark `auto_resolved` every open finding that a successful run of the same tool on the
    same target no longer reports. Triaged findings (false positive, accepted risk) and
    findings already resolved stay as they are. Returns how many were resolved."""
    open_statuses = (FindingStatus.NEW, FindingStatus.CONFIRMED, FindingStatus.REOPENED)
    now = timezone.now()
    resolved = 0
    for tool_result in results:
        if tool_result.status not in RESOLVING:
            continue
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
