"""The webhook delivery log: each message a configuration's webhook was sent, and each attempt.

A `WebhookMessage` belongs to the webhook's `NotificationDelivery` row (one per event and
webhook) and keeps the exact body that was signed and sent, so a retry or a redelivery sends
the same payload (with a fresh timestamp and signature). A `WebhookAttempt` is one POST:
when, how long, the status code or the error, and the start of the answer.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class AttemptTrigger(models.TextChoices):
    FIRST = "first", "First attempt"
    RETRY = "retry", "Automatic retry"
    REDELIVER = "redeliver", "Redelivered by hand"


class WebhookMessage(models.Model):
    delivery = models.OneToOneField(
        "notifications.NotificationDelivery",
        on_delete=models.CASCADE,
        related_name="webhook_message",
    )
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="webhook_messages"
    )
    configuration = models.ForeignKey(
        "scans.ScanConfiguration",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="webhook_messages",
    )
    guid = models.UUIDField(
        default=uuid.uuid4,
        unique=True,
        editable=False,
        help_text="Sent as X-SecuLite-Delivery; the same on retries and redeliveries.",
    )
    event = models.CharField(max_length=64)
    format = models.CharField(max_length=16)
    body = models.TextField(help_text="The JSON body exactly as signed and sent.")
    # The automatic retry the queue holds for this message (1-based; 0: none), and when.
    scheduled_retry = models.PositiveSmallIntegerField(default=0)
    next_retry_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["project", "configuration", "-created_at"]),
            # The retry sweep's scan: only messages with a retry pending.
            models.Index(
                fields=["next_retry_at"],
                condition=models.Q(scheduled_retry__gt=0),
                name="notif_webhook_retry_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} ({self.guid})"


class WebhookAttempt(models.Model):
    message = models.ForeignKey(WebhookMessage, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveSmallIntegerField()
    trigger = models.CharField(max_length=16, choices=AttemptTrigger.choices)
    attempted_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)
    ok = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    response_excerpt = models.TextField(blank=True)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Who pressed Redeliver; empty for automatic attempts.",
    )

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["message", "number"], name="uniq_webhook_attempt"),
        ]

    def __str__(self) -> str:
        return f"attempt {self.number} of {self.message_id}"
