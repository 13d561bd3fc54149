"""Celery tasks: thin wrappers that take ids and call the service of the same name."""

from __future__ import annotations

from celery import group, shared_task

from apps.scans.limits import effective_tool_timeout, tool_task_time_limits
from apps.scans.models import Scan, ScanConfiguration, ScanTrigger
from apps.scans.services import execution
from apps.scans.services.scans import scan_start


@shared_task(name="scans.scan_run", acks_late=True, reject_on_worker_lost=True)
def scan_run(scan_id: int) -> None:
    """Fan out one `tool_result_run` per pending (tool, target) on the scans queue."""
    pending = execution.scan_run(scan_id=scan_id)
    if pending:
        snapshot = Scan.objects.values_list("configuration_snapshot", flat=True).get(pk=scan_id)
        soft, hard = tool_task_time_limits(
            effective_tool_timeout(snapshot.get("tool_timeout_seconds"))
        )
        group(
            tool_result_run.si(result_id).set(soft_time_limit=soft, time_limit=hard)
            for result_id in pending
        ).delay()


@shared_task(name="scans.tool_result_run", acks_late=True, reject_on_worker_lost=True)
def tool_result_run(result_id: int) -> None:
    execution.tool_result_run(result_id=result_id)


@shared_task(name="scans.scan_finalize", acks_late=True, reject_on_worker_lost=True)
def scan_finalize(scan_id: int) -> None:
    execution.scan_finalize(scan_id=scan_id)


@shared_task(name="scans.scans_reap")
def scans_reap() -> int:
    return execution.scans_reap()


@shared_task(name="scans.scan_scheduled")
def scan_scheduled(configuration_id: int) -> int | None:
    """Started by beat's DatabaseScheduler from a configuration's schedule."""
    configuration = ScanConfiguration.objects.filter(pk=configuration_id).first()
    if configuration is None:
        return None
    return scan_start(configuration=configuration, trigger=ScanTrigger.SCHEDULED).pk
