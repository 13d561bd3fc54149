"""Running a scan on the workers: fan out one task per (tool, target), fan in through the
database, then aggregate.

Fan-in needs no result backend: each finished tool run counts the scan's unfinished results
under a row lock, and the last one enqueues `scan_finalize`. Every step is idempotent, so a
task redelivered after a worker died repeats its work without duplicating anything.
"""

from __future__ import annotations

import logging
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from apps.findings.grouping import issue_groups_recount_resolved
from apps.findings.ingest import findings_ingest
from apps.findings.lifecycle import config_digest, findings_auto_resolve
from apps.findings.models import Finding, Severity
from apps.findings.secrets import SecretMasker
from apps.findings.sightings import ranges_seen_by_scan
from apps.scans.models import (
    SCAN_FINAL_STATUSES,
    Scan,
    ScanStatus,
    ScanToolResult,
    ToolResultStatus,
)
from apps.scans.services import verdicts
from apps.scans.services.checkouts import (
    SHARED_TYPES,
    checkout_ensure,
    checkouts_prepare,
    checkouts_ref_record,
    checkouts_remove,
    checkouts_sweep,
)
from apps.scans.services.scans import TOOL_RESULT_FINAL
from apps.scans.services.tool_results import tool_result_finish as _finish
from apps.scans.services.tool_results import tool_result_keep_raw_output as _keep_raw_output
from apps.targets.preparation import TargetPreparationError, prepare_target
from apps.tools.adapters.base import ToolOutputError
from apps.tools.adapters.registry import ADAPTERS
from apps.tools.adapters.runner import run_for_text, run_process
from apps.tools.overrides import outbound_urls_problem
from apps.tools.sandbox import sandbox_for

logger = logging.getLogger(__name__)

CANCEL_POLL_SECONDS = 2.0
SUCCESSFUL = (ToolResultStatus.COMPLETED, ToolResultStatus.NO_FINDINGS)


def scan_run(*, scan_id: int) -> list[int]:
    """Mark the scan running and return the ids of the tool results still to run."""
    with transaction.atomic():
        scan = Scan.objects.select_for_update().get(pk=scan_id)
        if scan.status in SCAN_FINAL_STATUSES:
            return []
        if scan.status != ScanStatus.RUNNING:
            scan.status = ScanStatus.RUNNING
            scan.started_at = scan.started_at or timezone.now()
            scan.current_step = "Running tools"
            scan.save(update_fields=["status", "started_at", "current_step", "updated_at"])
    pending = list(
        scan.tool_results.exclude(status__in=TOOL_RESULT_FINAL).values_list("id", flat=True)
    )
    checkouts_sweep()
    # Each git/archive target is checked out once here, so every tool sees the same commit.
    unprepared = checkouts_prepare(scan_id=scan_id, result_ids=pending)
    checkouts_ref_record(scan_id=scan_id)
    for result in ScanToolResult.objects.filter(pk__in=list(unprepared)):
        _finish(result, ToolResultStatus.FAILED, error_message=f"Target: {unprepared[result.pk]}")
    pending = [result_id for result_id in pending if result_id not in unprepared]
    if not pending:
        scan_fan_in(scan_id=scan_id)
    return pending


def _cancel_probe(scan_id: int) -> Callable[[], bool]:
    """A cheap `should_cancel` for the runner: reads the scan status every few seconds."""
    last = {"at": 0.0, "cancelled": False}

    def should_cancel() -> bool:
        now = time.monotonic()
        if now - last["at"] >= CANCEL_POLL_SECONDS:
            last["at"] = now
            status = Scan.objects.filter(pk=scan_id).values_list("status", flat=True).first()
            last["cancelled"] = status in (ScanStatus.CANCELLED, ScanStatus.ERROR, None)
        return bool(last["cancelled"])

    return should_cancel


def tool_result_run(*, result_id: int) -> None:
    """Prepare the target, run the tool, keep its raw output, ingest its findings."""
    result = ScanToolResult.objects.select_related("scan", "tool", "target").get(pk=result_id)
    scan = result.scan
    if result.status in TOOL_RESULT_FINAL:
        scan_fan_in(scan_id=scan.pk)
        return
    if scan.status in SCAN_FINAL_STATUSES:
        _finish(result, ToolResultStatus.CANCELLED, error_message=f"Scan {scan.status}.")
        scan_fan_in(scan_id=scan.pk)
        return
    result.status = ToolResultStatus.RUNNING
    result.started_at = timezone.now()
    result.error_message = ""
    result.save(update_fields=["status", "started_at", "error_message", "updated_at"])
    try:
        _run_and_ingest(result)
    except Exception as exc:  # the tool result records any crash; other tools carry on
        logger.exception("tool run %s crashed", result_id)
        _finish(
            result,
            ToolResultStatus.FAILED,
            error_message=f"Internal error: {exc.__class__.__name__}: {exc}"[:2000],
        )
    scan_fan_in(scan_id=scan.pk)


def _tool_config(result: ScanToolResult) -> dict[str, Any]:
    for tool in result.scan.configuration_snapshot.get("tools", []):
        if tool["id"] == result.tool_id:
            return dict(tool.get("overrides") or {})
    return {}


def _run_and_ingest(result: ScanToolResult) -> None:
    scan = result.scan
    adapter = ADAPTERS.get(result.tool.slug)
    if adapter is None:
        _finish(
            result,
            ToolResultStatus.FAILED,
            error_message=f"No adapter for {result.tool.slug} in this SecuLite version.",
        )
        return
    reason = adapter.unavailable_reason()
    if reason:
        _finish(result, ToolResultStatus.FAILED, error_message=reason)
        return
    target = result.target
    if target is None:
        _finish(result, ToolResultStatus.SKIPPED, error_message="The target was deleted.")
        return
    # What this run looks at; only runs with the same digest may resolve each other's findings.
    effective = adapter.config_with_defaults(_tool_config(result))
    result.config_digest = config_digest(tool=adapter.tool_id, config=effective, target=target)
    result.save(update_fields=["config_digest", "updated_at"])
    timeout = int(scan.configuration_snapshot.get("tool_timeout_seconds") or 1800)
    with tempfile.TemporaryDirectory(prefix=f"seculite-{scan.pk}-{result.pk}-") as tmp:
        workdir = Path(tmp)
        try:
            checkout = (
                checkout_ensure(scan_id=scan.pk, target=target)
                if target.asset_type in SHARED_TYPES
                else None
            )
            result.commit_sha = checkout.commit if checkout else ""
            prepared = prepare_target(target, workdir=workdir / "target", checkout=checkout)
        except TargetPreparationError as exc:
            _finish(result, ToolResultStatus.FAILED, error_message=f"Target: {exc}")
            return
        outbound = outbound_urls_problem(result.tool.config_schema, _tool_config(result))
        if outbound:
            _finish(result, ToolResultStatus.FAILED, error_message=outbound)
            return
        config = adapter.config_with_defaults(_tool_config(result))
        not_applicable = adapter.not_applicable_reason(target=prepared, config=config)
        if not_applicable:
            _finish(result, ToolResultStatus.SKIPPED, error_message=not_applicable[:2000])
            return
        output_path = workdir / f"{adapter.tool_id}.out"
        try:
            command = adapter.build_command(target=prepared, config=config, output_path=output_path)
        except (ToolOutputError, ValueError) as exc:
            _finish(result, ToolResultStatus.FAILED, error_message=str(exc))
            return
        version = _tool_version(adapter)
        outcome = run_process(
            command.argv,
            timeout_seconds=timeout,
            stdout_path=None if command.output_written_by_tool else command.output_path,
            cwd=command.cwd,
            env=command.env,
            max_output_bytes=settings.SECULITE_TOOL_OUTPUT_MAX_BYTES,
            should_cancel=_cancel_probe(scan.pk),
            sandbox=sandbox_for(adapter, command, prepared.path),
        )
        # How isolated the run was ("sandboxed", or "reduced" with the reason).
        result.coverage = {
            **(result.coverage or {}),
            "isolation": outcome.isolation,
            **({"isolation_note": outcome.isolation_note} if outcome.isolation_note else {}),
        }
        raw_name = f"scan{scan.pk}-{adapter.tool_id}-{result.pk}.out"
        _keep_raw_output(result, command.output_path, raw_name)
        common: dict[str, Any] = {"exit_code": outcome.exit_code, "tool_version": version}
        if outcome.cancelled:
            _finish(result, ToolResultStatus.CANCELLED, error_message="Cancelled.", **common)
            return
        if outcome.timed_out:
            _finish(
                result,
                ToolResultStatus.TIMED_OUT,
                error_message=f"Timed out after {timeout} s; the tool was killed.",
                **common,
            )
            return
        if outcome.start_error:
            _finish(result, ToolResultStatus.FAILED, error_message=outcome.start_error, **common)
            return
        if outcome.output_truncated:
            _finish(
                result,
                ToolResultStatus.FAILED,
                **common,
                error_message=(
                    "The tool wrote more than SECULITE_TOOL_OUTPUT_MAX_BYTES "
                    f"({settings.SECULITE_TOOL_OUTPUT_MAX_BYTES} bytes) to its output and "
                    "report files; it was stopped."
                ),
            )
            return
        verdict = adapter.interpret_exit(
            exit_code=outcome.exit_code or 0,
            output_path=command.output_path,
            stderr=outcome.stderr_tail,
        )
        if not verdict.ok:
            _finish(result, ToolResultStatus.FAILED, error_message=verdict.reason[:2000], **common)
            return
        coverage = verdicts.tool_coverage(
            adapter, output_path=command.output_path, target=prepared, stderr=outcome.stderr_tail
        )
        # Keep the isolation the run had (set above) beside what the tool analysed.
        common["coverage"] = {**(result.coverage or {}), **(coverage.as_json() if coverage else {})}
        blind = verdicts.nothing_analysed_reason(adapter, coverage, target=prepared, config=config)
        if blind:
            _finish(result, ToolResultStatus.FAILED, error_message=blind[:2000], **common)
            return
        masker = SecretMasker(adapter.tool_id)
        try:
            ingested = findings_ingest(
                project=scan.project,
                findings=adapter.parse(output_path=command.output_path, target=prepared),
                tool=result.tool,
                tool_result=result,
                target=target,
                target_root=prepared.path,
                masker=masker,
            )
        except ToolOutputError as exc:
            _finish(
                result,
                ToolResultStatus.FAILED,
                error_message=f"Unparseable output: {exc}",
                **common,
            )
            return
        except (ValueError, KeyError, TypeError) as exc:
            _finish(
                result,
                ToolResultStatus.FAILED,
                **common,
                error_message=f"Unparseable output: {exc.__class__.__name__}: {exc}"[:2000],
            )
            return
        finally:
            # Whether the report was ingested whole or not, the raw output is kept with the
            # secret values the findings were masked of rewritten out of it too.
            if masker.values:
                _keep_raw_output(result, command.output_path, raw_name, masker.values)
                result.save(update_fields=["raw_output", "updated_at"])
        if coverage is not None and coverage.partial:
            message = verdicts.partial_message(adapter, coverage)
            _finish(
                result,
                ToolResultStatus.PARTIAL,
                findings_count=ingested.total,
                error_message=message,
                **common,
            )
            return
        status = ToolResultStatus.COMPLETED if ingested.total else ToolResultStatus.NO_FINDINGS
        _finish(result, status, findings_count=ingested.total, **common)


_VERSIONS: dict[str, str] = {}


def _tool_version(adapter: Any) -> str:
    """The version of the binary on this worker, detected once per worker process."""
    if adapter.tool_id not in _VERSIONS:
        command = adapter.version_command()
        version = ""
        if command:
            exit_code, output = run_for_text(command, timeout_seconds=60)
            version = adapter.parse_version(output)[:100] if exit_code == 0 else ""
        _VERSIONS[adapter.tool_id] = version
    return _VERSIONS[adapter.tool_id]


def scan_fan_in(*, scan_id: int, finalize_here: bool = False) -> None:
    """Update progress; when every tool result is final, enqueue the aggregation once, or
    (`finalize_here`, for a caller that ran the scan's last tool result itself, such as an
    import) run it in this process once the progress is committed, which saves a round trip
    through the broker and a second worker slot."""
    finalize = False
    with transaction.atomic():
        scan = Scan.objects.select_for_update().get(pk=scan_id)
        counts = scan.tool_results.aggregate(
            total=Count("id"), done=Count("id", filter=Q(status__in=TOOL_RESULT_FINAL))
        )
        total, done = counts["total"] or 0, counts["done"] or 0
        if scan.status == ScanStatus.RUNNING:
            scan.progress = min(99, int(done * 100 / total)) if total else 99
            running = list(
                scan.tool_results.filter(status=ToolResultStatus.RUNNING).values_list(
                    "tool__name", flat=True
                )[:3]
            )
            scan.current_step = f"{done}/{total} tool runs done" + (
                f"; running {', '.join(running)}" if running else ""
            )
            scan.save(update_fields=["progress", "current_step", "updated_at"])
        if total and done == total and scan.status in (ScanStatus.RUNNING, ScanStatus.CANCELLED):
            if finalize_here:
                finalize = True
            else:
                transaction.on_commit(lambda: _enqueue_finalize(scan_id))
    if finalize:
        scan_finalize(scan_id=scan_id)


def _enqueue_finalize(scan_id: int) -> None:
    from apps.scans.tasks import scan_finalize

    scan_finalize.apply_async(args=(scan_id,), queue="default")


def _enqueue_notify(scan_id: int) -> None:
    from apps.notifications.inbox_tasks import scan_finished_inbox_enqueue
    from apps.notifications.services import scan_notify_enqueue

    scan_notify_enqueue(scan_id=scan_id)
    scan_finished_inbox_enqueue(scan_id=scan_id)


def scan_finalize(*, scan_id: int) -> Scan:
    """Auto-resolve what successful runs no longer report, write the summary, end the scan,
    and queue its notifications (once the scan's end is committed; none when cancelled)."""
    with transaction.atomic():
        scan = Scan.objects.select_for_update().get(pk=scan_id)
        if scan.status not in (ScanStatus.RUNNING, ScanStatus.CANCELLED) or scan.summary:
            return scan
        results = list(scan.tool_results.select_related("tool"))
        if any(r.status not in TOOL_RESULT_FINAL for r in results):
            return scan
        resolved = 0
        # Only a scan of the default branch resolves findings; other refs are compared.
        if scan.status == ScanStatus.RUNNING and scan.is_default_branch:
            resolved = findings_auto_resolve(scan=scan, results=results)
            if resolved:
                issue_groups_recount_resolved(scan=scan)
        scan.summary = scan_summary(scan=scan, auto_resolved=resolved)
        if scan.status == ScanStatus.RUNNING:
            scan.status, scan.error_message = verdicts.scan_end_state(results)
            scan.current_step = "Finished"
            scan.progress = 100
            scan.finished_at = timezone.now()
            transaction.on_commit(lambda: _enqueue_notify(scan_id))
        scan.save()
    if scan.status in SCAN_FINAL_STATUSES:
        checkouts_remove(scan_id=scan_id)
    return scan


def scan_summary(*, scan: Scan, auto_resolved: int) -> dict[str, Any]:
    """Counts by severity of the findings seen in this scan, and new / existing / resolved."""
    seen = Finding.objects.filter(pk__in=ranges_seen_by_scan(scan.pk).values("finding_id"))
    # One pass over the scan's findings (a second, for the new ones, cost as much again).
    counts = (
        seen.order_by()
        .values_list("severity")
        .annotate(n=Count("id"), new=Count("id", filter=Q(first_seen_scan=scan)))
        .values_list("severity", "n", "new")
    )
    by_severity, new = {}, 0
    for severity, n, new_n in counts:
        by_severity[severity] = n
        new += new_n
    total = sum(by_severity.values())
    return {
        "by_severity": {sev: by_severity.get(sev, 0) for sev in Severity.values},
        "total": total,
        "new": new,
        "existing": total - new,
        "resolved": auto_resolved,
    }


def scans_reap(*, now: Any = None) -> int:
    """End scans stuck past their deadline with `error`, announced as failures; returns how
    many."""
    now = now or timezone.now()
    stuck = list(
        Scan.objects.filter(
            status__in=(ScanStatus.QUEUED, ScanStatus.RUNNING), deadline_at__lt=now
        ).values_list("id", flat=True)
    )
    for scan_id in stuck:
        with transaction.atomic():
            scan = Scan.objects.select_for_update().get(pk=scan_id)
            if scan.status not in (ScanStatus.QUEUED, ScanStatus.RUNNING):
                continue
            scan.status = ScanStatus.ERROR
            scan.error_message = (
                "The scan passed its deadline without finishing (a worker may have died); "
                "it was ended by the reaper."
            )
            scan.finished_at = now
            scan.current_step = "Ended by the reaper"
            scan.save()
            scan.tool_results.exclude(status__in=TOOL_RESULT_FINAL).update(
                status=ToolResultStatus.CANCELLED,
                finished_at=now,
                error_message="Ended with the scan by the reaper.",
            )
            transaction.on_commit(partial(_enqueue_notify, scan_id))
    checkouts_sweep()  # trees of scans that ended (reaped here, or on another host)
    return len(stuck)
