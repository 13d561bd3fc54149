"""Generated reports (one file each, stored privately) and the schedules that e-mail them.

A `Report` is a request for one document: a project's (or one scan's) findings over a period,
as self-contained HTML or PDF. The worker fills in the file, its size and digest, or an error
text people can read. Files live under MEDIA_ROOT/reports/, which nginx never serves: only the
download API, after its role check, hands them out.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ReportKind(models.TextChoices):
    PROJECT = "project", "Project report"
    SCAN = "scan", "Scan report"


class ReportFormat(models.TextChoices):
    HTML = "html", "HTML"
    PDF = "pdf", "PDF"


class ReportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class ScheduleFrequency(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"


class ReportSchedule(models.Model):
    """A project report generated every week or month and e-mailed to `recipients`."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="report_schedules"
    )
    frequency = models.CharField(max_length=16, choices=ScheduleFrequency.choices)
    # Monday = 0 (weekly schedules).
    weekday = models.PositiveSmallIntegerField(default=0)
    # 1..28 (monthly schedules), so every month has the day.
    day_of_month = models.PositiveSmallIntegerField(default=1)
    format = models.CharField(max_length=8, choices=ReportFormat.choices, default=ReportFormat.PDF)
    recipients = models.JSONField(default=list)
    enabled = models.BooleanField(default=True)
    # The next UTC time the beat task generates this schedule's report; moved on (in the same
    # transaction, row locked) before the report is made, so a schedule runs once per period.
    next_run_at = models.DateTimeField(db_index=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.frequency} report of project {self.project_id}"


class Report(models.Model):
    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="reports"
    )
    scan = models.ForeignKey(
        "scans.Scan", null=True, blank=True, on_delete=models.CASCADE, related_name="reports"
    )
    kind = models.CharField(max_length=16, choices=ReportKind.choices, default=ReportKind.PROJECT)
    format = models.CharField(max_length=8, choices=ReportFormat.choices)
    status = models.CharField(
        max_length=16, choices=ReportStatus.choices, default=ReportStatus.QUEUED
    )
    # A sentence for people (never a stack trace or a secret).
    error = models.CharField(max_length=500, blank=True)
    # Relative to MEDIA_ROOT, e.g. "reports/12/report-34.pdf".
    file_path = models.CharField(max_length=300, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    schedule = models.ForeignKey(
        ReportSchedule, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    period_start = models.DateField()
    period_end = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # When a scheduled report was e-mailed to its schedule's recipients (once).
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["project", "kind", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} report {self.pk} ({self.format}, {self.status})"
