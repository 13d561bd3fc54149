"""Signed webhook deliveries: the first attempt, retries with backoff, redelivery, the log.

A scan's webhook is one `NotificationDelivery` (unique per event and webhook) with one
`WebhookMessage` holding the body as first built. Every POST of that body is signed afresh
(`signing.webhook_signature`) and logged as a `WebhookAttempt`. A transient failure (timeout,
connection error, 408/425/429/5xx) schedules the next automatic retry through Celery's
countdown, 1 min, 5 min, 30 min and 2 h after the previous attempt; any other failure, or the
last retry failing, marks the delivery failed. A project owner can redeliver a message at any
time; a success ends the pending retries. The row, not the queue, is the record of a pending
retry: a retry the broker lost (down when it was scheduled) is queued again by the beat's
`webhook_retries_sweep` once it is overdue.

The delivery row is locked while a message is sent, so a retried task, a duplicated task and a
redelivery never send concurrently. The secret is decrypted only to sign and is never logged.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max, QuerySet
from django.http import Http404
from django.utils import timezone

from apps.notifications.content import ScanFacts, scan_webhook_payload
from apps.notifications.formats import WebhookFormat, webhook_body
from apps.notifications.models import Channel, DeliveryStatus, NotificationDelivery
from apps.notifications.signing import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    WebhookSecretUnreadable,
    webhook_secret_decrypt,
    webhook_secret_encrypt,
    webhook_secret_generate,
    webhook_signature,
)
from apps.notifications.webhook_models import AttemptTrigger, WebhookAttempt, WebhookMessage
from apps.notifications.webhooks import SendOutcome, webhook_display_url, webhook_post
from apps.projects.models import Project
from apps.scans.models import ScanConfiguration

logger = logging.getLogger(__name__)

# Seconds from a failed attempt to the next automatic retry: 1 min, 5 min, 30 min, 2 h.
RETRY_SCHEDULE_SECONDS = (60, 300, 1800, 7200)
# How late a scheduled retry may be before the sweep takes it for lost. A duplicate it queues
# for a retry that was only late is a no-op (webhook_retry checks the retry number).
RETRY_LOST_AFTER = timedelta(minutes=5)


class RedeliverRefused(Exception):
    """The message cannot be sent again; the message is safe to show."""


# --- Secrets ---------------------------------------------------------------------------------


def webhook_secret_issue(*, configuration: ScanConfiguration) -> str:
    """Give `configuration` a new signing secret (not saved) and return it, for the caller to
    show once: only its encrypted form is kept."""
    secret = webhook_secret_generate()
    configuration.notify_webhook_secret_encrypted = webhook_secret_encrypt(secret)
    return secret


def webhook_secret_rotate(*, configuration: ScanConfiguration) -> str:
    """Replace the configuration's signing secret; the old one stops verifying at once."""
    secret = webhook_secret_issue(configuration=configuration)
    configuration.save(update_fields=["notify_webhook_secret_encrypted", "updated_at"])
    logger.info("webhook signing secret of configuration %s rotated", configuration.pk)
    return secret


def _signing_secret(configuration: ScanConfiguration) -> str:
    """The secret to sign with. A configuration without a readable one (set up before signing
    existed, or SECULITE_CREDENTIALS_KEY changed) gets a new one that nobody has seen: its
    webhooks stay signed, and an owner rotates the secret to learn it."""
    stored = configuration.notify_webhook_secret_encrypted
    if stored:
        try:
            return webhook_secret_decrypt(stored)
        except WebhookSecretUnreadable:
            logger.warning(
                "webhook signing secret of configuration %s unreadable; a new one was issued",
                configuration.pk,
            )
    secret = webhook_secret_issue(configuration=configuration)
    ScanConfiguration.objects.filter(pk=configuration.pk).update(
        notify_webhook_secret_encrypted=configuration.notify_webhook_secret_encrypted
    )
    return secret


# --- Sending ---------------------------------------------------------------------------------


def _attempt(
    *, message: WebhookMessage, url: str, secret: str, trigger: str, user: Any = None
) -> SendOutcome:
    """POST the message's body once, signed now, and log the attempt."""
    body = message.body.encode()
    headers = {
        SIGNATURE_HEADER: webhook_signature(secret=secret, body=body),
        EVENT_HEADER: message.event,
        DELIVERY_HEADER: str(message.guid),
    }
    attempted_at = timezone.now()
    try:
        outcome = webhook_post(
            url=url, body=body, headers=headers, timeout=settings.SECULITE_WEBHOOK_TIMEOUT_SECONDS
        )
    except Exception as exc:  # a bug here must not reach the scan or the request
        logger.exception("webhook %s crashed", message.guid)
        outcome = SendOutcome(ok=False, error=f"Internal error: {exc.__class__.__name__}")
    number = (message.attempts.aggregate(n=Max("number"))["n"] or 0) + 1
    WebhookAttempt.objects.create(
        message=message,
        number=number,
        trigger=trigger,
        attempted_at=attempted_at,
        duration_ms=outcome.duration_ms,
        ok=outcome.ok,
        status_code=outcome.status_code,
        error=outcome.error[:2000],
        response_excerpt=outcome.response_excerpt,
        triggered_by=user,
    )
    return outcome


def _record_automatic(
    *,
    delivery: NotificationDelivery,
    message: WebhookMessage,
    outcome: SendOutcome,
    retries_done: int,
) -> None:
    """Store an automatic attempt's outcome on the delivery; schedule the next retry after a
    transient failure while the schedule has one left."""
    delivery.attempts += 1
    message.scheduled_retry = 0
    message.next_retry_at = None
    if outcome.ok:
        delivery.status = DeliveryStatus.SENT
        delivery.sent_at = timezone.now()
        delivery.last_error = ""
        logger.info("webhook %s (%s) sent to %s", message.guid, message.event, delivery.recipient)
    else:
        delivery.last_error = outcome.error[:2000]
        retrying = outcome.transient and retries_done < len(RETRY_SCHEDULE_SECONDS)
        if retrying:
            countdown = RETRY_SCHEDULE_SECONDS[retries_done]
            message.scheduled_retry = retries_done + 1
            message.next_retry_at = timezone.now() + timedelta(seconds=countdown)
            message_id, retry = message.pk, message.scheduled_retry
            transaction.on_commit(
                lambda: _enqueue_retry(message_id=message_id, retry=retry, countdown=countdown)
            )
        else:
            delivery.status = DeliveryStatus.FAILED
        logger.warning(
            "webhook %s (%s) to %s failed (attempt %d%s): %s",
            message.guid,
            message.event,
            delivery.recipient,
            delivery.attempts,
            f", retry in {RETRY_SCHEDULE_SECONDS[retries_done]} s" if retrying else "",
            outcome.error,
        )
    delivery.save()
    message.save(update_fields=["scheduled_retry", "next_retry_at"])


def _enqueue_retry(*, message_id: int, retry: int, countdown: int) -> None:
    from apps.notifications.tasks import webhook_retry

    try:
        webhook_retry.apply_async(
            kwargs={"message_id": message_id, "retry": retry}, countdown=countdown, queue="default"
        )
    except Exception:
        logger.exception("could not queue retry %d of webhook message %s", retry, message_id)


def scan_webhook_send(
    *, facts: ScanFacts, configuration: ScanConfiguration, min_severity: str
) -> NotificationDelivery | None:
    """Send the scan's webhook once, in the configuration's format, signed; idempotent.

    Returns the delivery once it is sent or failed for good, None while retries are scheduled
    (they belong to the webhook's own task, not to the notification's).
    """
    scan = facts.scan
    url = configuration.notify_webhook_url
    delivery, _ = NotificationDelivery.objects.get_or_create(
        event_key=f"scan:{scan.pk}:finished",
        channel=Channel.WEBHOOK,
        recipient=webhook_display_url(url),
        defaults={"project": scan.project, "scan": scan},
    )
    with transaction.atomic():
        delivery = NotificationDelivery.objects.select_for_update().get(pk=delivery.pk)
        if WebhookMessage.objects.filter(delivery=delivery).exists():
            # Sent before (this is a repeated notification task): retries own it now.
            return delivery if delivery.status != DeliveryStatus.PENDING else None
        payload = scan_webhook_payload(facts, min_severity=min_severity)
        webhook_format = configuration.notify_webhook_format or WebhookFormat.GENERIC
        message = WebhookMessage.objects.create(
            delivery=delivery,
            project=scan.project,
            configuration=configuration,
            event=payload["event"],
            format=webhook_format,
            body=webhook_body(payload=payload, webhook_format=webhook_format).decode(),
        )
        outcome = _attempt(
            message=message,
            url=url,
            secret=_signing_secret(configuration),
            trigger=AttemptTrigger.FIRST,
        )
        _record_automatic(delivery=delivery, message=message, outcome=outcome, retries_done=0)
    return delivery if delivery.status != DeliveryStatus.PENDING else None


def webhook_retry(*, message_id: int, retry: int) -> None:
    """Automatic retry number `retry` of a message; a no-op when it is no longer due (sent or
    redelivered meanwhile, given up, or this task is a duplicate)."""
    with transaction.atomic():
        message = (
            WebhookMessage.objects.select_for_update(of=("self",))
            .select_related("configuration")
            .filter(pk=message_id)
            .first()
        )
        if message is None or message.scheduled_retry != retry:
            return
        delivery = NotificationDelivery.objects.select_for_update().get(pk=message.delivery_id)
        if delivery.status != DeliveryStatus.PENDING:
            return
        configuration = message.configuration
        if configuration is None or not configuration.notify_webhook_url:
            message.scheduled_retry = 0
            message.next_retry_at = None
            message.save(update_fields=["scheduled_retry", "next_retry_at"])
            delivery.status = DeliveryStatus.FAILED
            delivery.last_error = "The configuration or its webhook URL was removed."
            delivery.save()
            return
        outcome = _attempt(
            message=message,
            url=configuration.notify_webhook_url,
            secret=_signing_secret(configuration),
            trigger=AttemptTrigger.RETRY,
        )
        _record_automatic(delivery=delivery, message=message, outcome=outcome, retries_done=retry)


def webhook_retries_sweep() -> int:
    """Queue again every automatic retry overdue by more than RETRY_LOST_AFTER; returns
    how many."""
    overdue = WebhookMessage.objects.filter(
        scheduled_retry__gt=0,
        next_retry_at__lt=timezone.now() - RETRY_LOST_AFTER,
        delivery__status=DeliveryStatus.PENDING,
    ).values_list("pk", "scheduled_retry")
    swept = 0
    for message_id, retry in overdue:
        logger.warning("webhook message %s: retry %d was lost, queued again", message_id, retry)
        _enqueue_retry(message_id=message_id, retry=retry, countdown=0)
        swept += 1
    return swept


def webhook_redeliver(*, message: WebhookMessage, user: Any) -> WebhookMessage:
    """Send the message's body again now, to the configuration's current webhook URL, with a
    fresh timestamp and signature; log the attempt. A success marks the delivery sent (and
    cancels the retries still scheduled); a failure changes nothing else."""
    with transaction.atomic():
        delivery = NotificationDelivery.objects.select_for_update().get(pk=message.delivery_id)
        message = (
            WebhookMessage.objects.select_for_update(of=("self",))
            .select_related("configuration")
            .get(pk=message.pk)
        )
        configuration = message.configuration
        if configuration is None:
            raise RedeliverRefused("The scan configuration of this message was deleted.")
        if not configuration.notify_webhook_url:
            raise RedeliverRefused("The scan configuration has no webhook URL any more.")
        outcome = _attempt(
            message=message,
            url=configuration.notify_webhook_url,
            secret=_signing_secret(configuration),
            trigger=AttemptTrigger.REDELIVER,
            user=user,
        )
        delivery.attempts += 1
        if outcome.ok:
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = timezone.now()
            delivery.last_error = ""
            message.scheduled_retry = 0
            message.next_retry_at = None
            message.save(update_fields=["scheduled_retry", "next_retry_at"])
        delivery.save()
        logger.info(
            "webhook %s redelivered by user %s: %s",
            message.guid,
            getattr(user, "pk", None),
            "sent" if outcome.ok else outcome.error,
        )
    return message


# --- Reads -----------------------------------------------------------------------------------


def webhook_message_list(*, project: Project) -> QuerySet[WebhookMessage]:
    """The project's webhook messages, newest first, with their deliveries and attempts.

    `project` comes from `project_get_for_user` with the owner role: the caller's check."""
    return (
        WebhookMessage.objects.filter(project=project)
        .select_related("delivery", "configuration")
        .prefetch_related("attempts", "attempts__triggered_by")
        .order_by("-created_at", "-pk")
    )


def webhook_message_get(*, project: Project, message_id: Any) -> WebhookMessage:
    try:
        return webhook_message_list(project=project).get(pk=int(message_id))
    except (WebhookMessage.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
