"""Starting, cancelling and re-running scans: the one `scan_start` behind every trigger."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.common.errors import ServiceError
from apps.scans.limits import effective_tool_timeout, scan_deadline_seconds_for
from apps.scans.models import (
    SCAN_FINAL_STATUSES,
    Scan,
    ScanConfiguration,
    ScanStatus,
    ScanToolResult,
    ScanTrigger,
    ToolResultStatus,
)
from apps.targets.models import AssetType, TargetAsset

TOOL_RESULT_FINAL = (
    ToolResultStatus.COMPLETED,
    ToolResultStatus.NO_FINDINGS,
    ToolResultStatus.PARTIAL,
    ToolResultStatus.FAILED,
    ToolResultStatus.TIMED_OUT,
    ToolResultStatus.SKIPPED,
    ToolResultStatus.CANCELLED,
)


def _configuration_targets(configuration: ScanConfiguration) -> list[TargetAsset]:
    direct = TargetAsset.objects.filter(scan_configurations=configuration, is_active=True)
    grouped = TargetAsset.objects.filter(groups__scan_configurations=configuration, is_active=True)
    return list((direct | grouped).distinct().order_by("name"))


def configuration_snapshot(configuration: ScanConfiguration) -> dict[str, Any]:
    """What the scan runs with, frozen at start so later edits do not change a running scan."""
    entries = configuration.tool_entries.select_related("tool").order_by("tool__slug")
    return {
        "configuration_id": configuration.pk,
        "name": configuration.name,
        # Capped here, so a configuration saved under a higher cap runs within today's limits.
        "tool_timeout_seconds": effective_tool_timeout(configuration.tool_timeout_seconds),
        "targets": [
            {
                "id": target.pk,
                "name": target.name,
                "asset_type": target.asset_type,
                "identifier": target.identifier,
                "metadata": target.metadata,
            }
            for target in _configuration_targets(configuration)
        ],
        "tools": [
            {
                "id": entry.tool_id,
                "slug": entry.tool.slug,
                "name": entry.tool.name,
                "overrides": entry.overrides,
                "supported_asset_types": entry.tool.supported_asset_types,
                "enabled": entry.tool.enabled,
            }
            for entry in entries
        ],
    }


def scan_start(
    *, configuration: ScanConfiguration, trigger: str = ScanTrigger.MANUAL, user: Any = None
) -> Scan:
    """Create a scan of `configuration` with one pending result per (tool, target) the tool
    supports, and enqueue it on the `scans` queue once the transaction commits."""
    snapshot = configuration_snapshot(configuration)
    if not snapshot["targets"]:
        raise ServiceError("The configuration has no active targets.", code="no_targets")
    tools = [tool for tool in snapshot["tools"] if tool["enabled"]]
    if not tools:
        raise ServiceError("The configuration has no enabled tools.", code="no_tools")
    pairs = [
        (tool, target)
        for target in snapshot["targets"]
        for tool in tools
        if target["asset_type"] in tool["supported_asset_types"]
    ]
    if not pairs:
        raise ServiceError(
            "None of the configuration's tools can scan its targets' types.", code="no_pairs"
        )
    now = timezone.now()
    # Git and archive targets are fetched or extracted once, by scan_run, before any tool.
    source_types = (AssetType.GIT_REPOSITORY, AssetType.FILE_UPLOAD)
    checkouts = {target["id"] for _, target in pairs if target["asset_type"] in source_types}
    deadline = scan_deadline_seconds_for(
        tool_runs=len(pairs),
        tool_timeout=snapshot["tool_timeout_seconds"],
        checkouts=len(checkouts),
    )
    with transaction.atomic():
        scan = Scan.objects.create(
            project=configuration.project,
            configuration=configuration,
            trigger=trigger,
            triggered_by=user if user is not None and user.is_authenticated else None,
            status=ScanStatus.QUEUED,
            queued_at=now,
            deadline_at=now + timedelta(seconds=deadline),
            configuration_snapshot=snapshot,
            current_step="Queued",
        )
        ScanToolResult.objects.bulk_create(
            ScanToolResult(
                scan=scan,
                tool_id=tool["id"],
                target_id=target["id"],
                target_snapshot=target,
                status=ToolResultStatus.PENDING,
            )
            for tool, target in pairs
        )
        transaction.on_commit(lambda: _enqueue_scan(scan.pk))
    return scan


def _enqueue_scan(scan_id: int) -> None:
    from apps.scans.tasks import scan_run

    result = scan_run.apply_async(args=(scan_id,), queue="scans")
    Scan.objects.filter(pk=scan_id).update(celery_task_id=result.id or "")


def scan_cancel(*, scan: Scan) -> Scan:
    """Cancel a scan: pending tool runs never start, running ones are killed by their task,
    which polls the scan's status while its tool runs."""
    with transaction.atomic():
        scan = Scan.objects.select_for_update().get(pk=scan.pk)
        if scan.status in SCAN_FINAL_STATUSES:
            raise ServiceError(
                f"The scan is already {scan.status}.", code="scan_finished", status_code=409
            )
        now = timezone.now()
        scan.status = ScanStatus.CANCELLED
        scan.finished_at = now
        scan.current_step = "Cancelled"
        scan.save(update_fields=["status", "finished_at", "current_step", "updated_at"])
        scan.tool_results.filter(status=ToolResultStatus.PENDING).update(
            status=ToolResultStatus.CANCELLED, finished_at=now, updated_at=now
        )
    return scan


def scan_rescan(*, scan: Scan, user: Any = None, trigger: str = ScanTrigger.MANUAL) -> Scan:
    """Start the scan's configuration again, with its current settings."""
    if scan.configuration is None:
        raise ServiceError("The configuration of this scan was deleted.", code="no_configuration")
    return scan_start(configuration=scan.configuration, trigger=trigger, user=user)
