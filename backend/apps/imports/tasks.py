"""Celery task of report imports: a thin wrapper over `running.import_run`."""

from __future__ import annotations

from celery import shared_task

from apps.imports import running
from apps.scans.limits import tool_task_time_limits

# Reading and storing a report gets what a tool run gets after its tool (no tool time).
SOFT_TIME_LIMIT, TIME_LIMIT = tool_task_time_limits(0)


@shared_task(
    name="imports.import_run",
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=TIME_LIMIT,
)
def import_run(scan_id: int) -> None:
    running.import_run(scan_id=scan_id)
