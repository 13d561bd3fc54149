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
from apps.targets.refs import ref_short_name, ref_validate, target_default_branch

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
                "default_branch": target_default_branch(target),
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


def is_default_branch(*, ref: str, targets: list[dict[str, Any]]) -> bool:
    """Whether a scan of `ref` looks at the default branch of each of its git `targets`
    (snapshot entries); no ref means the default branch. Other targets have no refs."""
    if not ref:
        return True
    return all(
        ref_short_name(ref) == target["default_branch"]
        for target in targets
        if target["asset_type"] == AssetType.GIT_REPOSITORY
    )


def scan_start(
    *,
    configuration: ScanConfiguration,
    trigger: str = ScanTrigger.MANUAL,
    user: Any = None,
    ref: str = "",
) -> Scan:
    """Create a scan of `configuration` with one pending result per (tool, target) the tool
    supports, and enqueue it on the `scans` queue once the transaction commits.

    `ref` (a branch, tag or full ref such as refs/pull/12/head; "" for each target's default
    branch) is where git targets are checked out; a scan of another ref than the default
    branch is compared with it and never changes the findings' lifecycle."""
    ref = ref_validate(ref)
    snapshot = configuration_snapshot(configuration)
    snapshot["ref"] = ref  # as asked, so a re-run asks the same
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
            ref=ref,
            is_default_branch=is_default_branch(ref=ref, targets=snapshot["targets"]),
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
    """Start the scan's configuration again, with its current settings, at the ref the scan
    was asked for (not the one its checkout resolved: a default-branch scan stays one)."""
    if scan.configuration is None:
        raise ServiceError("The configuration of this scan was deleted.", code="no_configuration")
    asked = (scan.configuration_snapshot or {}).get("ref", scan.ref)
    return scan_start(
        configuration=scan.configuration,
        trigger=trigger,
        user=user,
        ref=asked if isinstance(asked, str) else "",
    )
