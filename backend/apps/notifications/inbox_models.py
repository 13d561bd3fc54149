"""In-app notifications: one row per event per user, shown by the web app's bell."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.common.models import TimeStampedModel


class InboxEvent(models.TextChoices):
    SCAN_COMPLETED = "scan_completed", "A scan in my projects completed"
    SCAN_FAILED = "scan_failed", "A scan in my projects failed or completed with errors"
    FINDING_ASSIGNED = "finding_assigned", "A finding was assigned to me"
    ACCEPTANCE_EXPIRING = "acceptance_expiring", "An accepted risk expires soon"
    ACCEPTANCE_EXPIRED = "acceptance_expired", "An accepted risk expired (the finding reopened)"
    SLA_BREACH = "sla_breach", "A finding of mine passed its due date"


class Notification(TimeStampedModel):
    """One thing a user was told in the app; unread until `read_at` is set.

    Unique per (user, event_key), like NotificationDelivery, so a retried task or a beat task
    that runs again writes nothing twice. `unread` mirrors `read_at is null` as a column the
    list can be ordered by (unread first) and the bell's count can read from an index alone.
    Texts hold titles, severities and locations only: never a snippet, evidence or secret.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    event_type = models.CharField(max_length=32, choices=InboxEvent.choices)
    event_key = models.CharField(max_length=200)
    title = models.CharField(max_length=200)
    body = models.CharField(max_length=500, blank=True)
    # A path of the web app (/scans/12, /findings/34, /findings?assignee=me).
    link = models.CharField(max_length=300, blank=True)
    project = models.ForeignKey(
        "projects.Project",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    scan = models.ForeignKey(
        "scans.Scan", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    finding = models.ForeignKey(
        "findings.Finding", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    unread = models.BooleanField(default=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "event_key"], name="uniq_notification_event"),
            models.CheckConstraint(
                condition=Q(unread=True, read_at__isnull=True)
                | Q(unread=False, read_at__isnull=False),
                name="notification_unread_matches_read_at",
            ),
        ]
        indexes = [
            # The list (newest first; unread first reads the same index per user).
            models.Index(fields=["user", "-id"], name="notification_user_id_idx"),
            # The bell's unread count, polled by every open tab: an index-only count of the
            # user's unread entries, an index that holds nothing once they are read.
            models.Index(
                fields=["user", "id"],
                condition=Q(unread=True),
                name="notification_user_unread_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} for user {self.user_id}: {self.title}"
