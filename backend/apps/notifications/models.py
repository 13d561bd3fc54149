"""One row per notification sent (or tried) to one recipient over one channel."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from apps.common.models import TimeStampedModel
from apps.notifications.inbox_models import InboxEvent, Notification  # noqa: F401  (registered here)


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class NotificationDelivery(TimeStampedModel):
    """The outcome of one notification to one recipient.

    Unique per (event, channel, recipient), so a retried or redelivered task finds the row of
    an earlier attempt and never sends the same notification twice. `recipient` is an email
    address or a webhook URL reduced to what identifies it without its secrets.
    """

    event_key = models.CharField(max_length=200)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    recipient = models.CharField(max_length=500)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    project = models.ForeignKey(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notification_deliveries",
    )
    scan = models.ForeignKey(
        "scans.Scan", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The user this email was for, when it went to a SecuLite user.",
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "notification deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["event_key", "channel", "recipient"], name="uniq_notification_delivery"
            ),
        ]
        indexes = [models.Index(fields=["status", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient} for {self.event_key} ({self.status})"


# Webhook messages and their attempts live in their own module; imported here so Django
# registers them with this app.
from apps.notifications.webhook_models import WebhookAttempt, WebhookMessage  # noqa: E402, F401
