"""Celery tasks: thin wrappers that take ids and call the service of the same name.

A delivery that failed transiently is tried again with backoff; the services skip whatever
was already sent, so a retry repeats nothing.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task

from apps.notifications import inbox_tasks, services, webhook_deliveries

__all__ = ["inbox_tasks"]  # registers the in-app notification tasks with Celery

MAX_RETRIES = 3
# Seconds before the first retry, doubled for each later one (30 s, 1 min, 2 min).
RETRY_BACKOFF_SECONDS = 30


def _retry_if_needed(task: Any, outcome: services.NotifyOutcome) -> None:
    if outcome.retry:
        raise task.retry(countdown=RETRY_BACKOFF_SECONDS * 2**task.request.retries)


@shared_task(
    name="notifications.scan_notify",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
)
def scan_notify(self: Any, scan_id: int) -> None:
    outcome = services.scan_notify(
        scan_id=scan_id, final_attempt=self.request.retries >= MAX_RETRIES
    )
    _retry_if_needed(self, outcome)


@shared_task(
    name="notifications.findings_assigned_notify",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
)
def findings_assigned_notify(
    self: Any, event_ids: list[int], assignee_id: int, actor_id: int | None
) -> None:
    outcome = services.findings_assigned_notify(
        event_ids=event_ids,
        assignee_id=assignee_id,
        actor_id=actor_id,
        final_attempt=self.request.retries >= MAX_RETRIES,
    )
    _retry_if_needed(self, outcome)


@shared_task(
    name="notifications.findings_reopened_notify",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
)
def findings_reopened_notify(self: Any, event_ids: list[int], assignee_id: int) -> None:
    outcome = services.findings_reopened_notify(
        event_ids=event_ids,
        assignee_id=assignee_id,
        final_attempt=self.request.retries >= MAX_RETRIES,
    )
    _retry_if_needed(self, outcome)


@shared_task(name="notifications.webhook_retry", acks_late=True, reject_on_worker_lost=True)
def webhook_retry(message_id: int, retry: int) -> None:
    """One scheduled retry of a webhook message; it schedules the next itself if needed."""
    webhook_deliveries.webhook_retry(message_id=message_id, retry=retry)


@shared_task(name="notifications.webhook_retries_sweep")
def webhook_retries_sweep() -> int:
    """Queue again the automatic retries the broker lost; how many."""
    return webhook_deliveries.webhook_retries_sweep()
