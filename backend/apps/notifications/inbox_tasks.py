"""Celery tasks of the in-app notifications: thin wrappers around apps.notifications.inbox."""

from __future__ import annotations

from celery import shared_task

from apps.notifications import inbox


@shared_task(name="notifications.scan_finished_inbox", acks_late=True, reject_on_worker_lost=True)
def scan_finished_inbox(scan_id: int) -> int:
    return inbox.scan_finished_inbox(scan_id=scan_id)


@shared_task(name="notifications.acceptance_expiring_inbox", acks_late=True)
def acceptance_expiring_inbox() -> int:
    return inbox.acceptance_expiring_inbox()


@shared_task(name="notifications.sla_breaches_inbox", acks_late=True)
def sla_breaches_inbox() -> int:
    return inbox.sla_breaches_inbox()


def scan_finished_inbox_enqueue(*, scan_id: int) -> None:
    """Queue the scan's in-app notifications; a broker hiccup is logged, never raised."""
    try:
        scan_finished_inbox.apply_async(kwargs={"scan_id": scan_id}, queue="default")
    except Exception:
        inbox.logger.exception("could not queue the in-app notifications of scan %s", scan_id)
