"""Celery tasks of the reports: thin wrappers over the services of the same name."""

from __future__ import annotations

from celery import shared_task

from apps.reports import schedules, services


@shared_task(name="reports.generate", acks_late=True, reject_on_worker_lost=True)
def generate(report_id: int) -> None:
    services.report_generate(report_id=report_id)


@shared_task(name="reports.run_due")
def run_due() -> int:
    return schedules.report_schedules_run_due()
