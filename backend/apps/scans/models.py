"""Scan configurations, scans and one result per (scan, tool, target)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from apps.common.encryption import EncryptedTextField
from apps.common.models import TimeStampedModel
from apps.notifications.formats import WebhookFormat


class ScheduleType(models.TextChoices):
    MANUAL = "manual", "Manual"
    ONCE = "once", "Once at a date and time"
    CRON = "cron", "Cron"


class ScanConfiguration(TimeStampedModel):
    """What to run (tools with overrides) against what (targets, groups) and when."""

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="scan_configurations"
    )
    name = models.CharField(max_length=150)
    description = models.TextField(blank=True)
    targets = models.ManyToManyField(
        "targets.TargetAsset", related_name="scan_configurations", blank=True
    )
    target_groups = models.ManyToManyField(
        "targets.TargetGroup", related_name="scan_configurations", blank=True
    )
    tools: models.ManyToManyField = models.ManyToManyField(
        "tools.ToolDefinition", through="ScanConfigurationTool", related_name="+", blank=True
    )
    # Schedule
    schedule_type = models.CharField(
        max_length=16, choices=ScheduleType.choices, default=ScheduleType.MANUAL
    )
    schedule_enabled = models.BooleanField(default=True)
    schedule_once_at = models.DateTimeField(null=True, blank=True)
    schedule_cron = models.CharField(max_length=120, blank=True)
    schedule_timezone = models.CharField(max_length=64, default="UTC")
    periodic_task = models.OneToOneField(
        "django_celery_beat.PeriodicTask",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Webhook trigger: only a hash of the token is kept.
    webhook_enabled = models.BooleanField(default=False)
    webhook_token_hash = models.CharField(max_length=64, blank=True)
    # Notifications
    notify_on_completion = models.BooleanField(default=False)
    notify_on_failure = models.BooleanField(default=True)
    notify_min_severity = models.CharField(max_length=16, default="high")
    notify_emails = models.JSONField(default=list, blank=True)
    # Encrypted at rest: chat services (Slack, Teams) put their token in the URL.
    notify_webhook_url = EncryptedTextField(blank=True, salt=b"seculite-webhook-urls")
    # The body's shape: generic JSON, Slack or Teams (apps.notifications.formats.WebhookFormat).
    notify_webhook_format = models.CharField(
        max_length=16, choices=WebhookFormat.choices, default=WebhookFormat.GENERIC
    )
    # The signing secret, Fernet-encrypted (apps.notifications.signing); shown once, never again.
    notify_webhook_secret_encrypted = models.TextField(blank=True)
    # Execution
    tool_timeout_seconds = models.PositiveIntegerField(default=1800)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="uniq_scan_config_name"),
        ]

    def __str__(self) -> str:
        return self.name


class ScanConfigurationTool(models.Model):
    """A tool chosen in a configuration, with overrides validated against its JSON schema."""

    configuration = models.ForeignKey(
        ScanConfiguration, on_delete=models.CASCADE, related_name="tool_entries"
    )
    tool = models.ForeignKey("tools.ToolDefinition", on_delete=models.CASCADE, related_name="+")
    overrides = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["tool__name"]
        constraints = [
            models.UniqueConstraint(fields=["configuration", "tool"], name="uniq_config_tool"),
        ]

    def __str__(self) -> str:
        return f"{self.tool} in {self.configuration}"


class ScanTrigger(models.TextChoices):
    MANUAL = "manual", "Manual"
    SCHEDULED = "scheduled", "Scheduled"
    API = "api", "API"
    WEBHOOK = "webhook", "Webhook"
    IMPORT = "import", "Import"


class ScanStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    COMPLETED_WITH_ERRORS = "completed_with_errors", "Completed with errors"
    FAILED = "failed", "Failed"
    ERROR = "error", "Error"
    CANCELLED = "cancelled", "Cancelled"


SCAN_FINAL_STATUSES = (
    ScanStatus.COMPLETED,
    ScanStatus.COMPLETED_WITH_ERRORS,
    ScanStatus.FAILED,
    ScanStatus.ERROR,
    ScanStatus.CANCELLED,
)


class Scan(TimeStampedModel):
    """One run of a configuration, with a snapshot of the configuration it ran with."""

    project = models.ForeignKey("projects.Project", on_delete=models.CASCADE, related_name="scans")
    configuration = models.ForeignKey(
        ScanConfiguration, null=True, blank=True, on_delete=models.SET_NULL, related_name="scans"
    )
    trigger = models.CharField(max_length=16, choices=ScanTrigger.choices)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(max_length=32, choices=ScanStatus.choices, default=ScanStatus.PENDING)
    progress = models.PositiveSmallIntegerField(default=0)
    current_step = models.CharField(max_length=200, blank=True)
    configuration_snapshot = models.JSONField(default=dict, blank=True)
    summary = models.JSONField(default=dict, blank=True)
    error_message = models.TextField(blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    deadline_at = models.DateTimeField(null=True, blank=True)
    celery_task_id = models.CharField(max_length=64, blank=True)
    # What each target's checkout was, shared by every tool of the scan:
    # {"<target id>": {"ref": "main", "ref_type": "branch", "commit": "<40 hex>"}}.
    checkouts = models.JSONField(default=dict, blank=True)
    # The ref (branch, tag or pull/merge request ref) and commit the scan looked at, as asked
    # by the caller or recorded by the checkout; "" for targets without refs (URLs, images).
    ref = models.CharField(max_length=255, blank=True)
    commit_sha = models.CharField(max_length=64, blank=True)
    # Whether the scan looked at its targets' default branch: only such scans drive the
    # findings' lifecycle (auto-resolve, reopen); other refs are compared, never resolve.
    is_default_branch = models.BooleanField(default=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["project", "-created_at"]),
            models.Index(fields=["status", "deadline_at"]),
            models.Index(fields=["project", "ref", "-created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="scan_progress_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return f"scan {self.pk} of {self.project_id} ({self.status})"


class ToolResultStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    NO_FINDINGS = "no_findings", "No findings"
    PARTIAL = "partial", "Partial"
    FAILED = "failed", "Failed"
    TIMED_OUT = "timed_out", "Timed out"
    SKIPPED = "skipped", "Skipped"
    CANCELLED = "cancelled", "Cancelled"


class ScanToolResult(TimeStampedModel):
    """One tool run against one target within a scan."""

    scan = models.ForeignKey(Scan, on_delete=models.CASCADE, related_name="tool_results")
    tool = models.ForeignKey("tools.ToolDefinition", on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey(
        "targets.TargetAsset",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tool_results",
    )
    target_snapshot = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=16, choices=ToolResultStatus.choices, default=ToolResultStatus.PENDING
    )
    tool_version = models.CharField(max_length=100, blank=True)
    exit_code = models.IntegerField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    raw_output = models.FileField(upload_to="scan_tool_outputs/%Y/%m/%d/", null=True, blank=True)
    error_message = models.TextField(blank=True)
    findings_count = models.PositiveIntegerField(default=0)
    celery_task_id = models.CharField(max_length=64, blank=True)
    # What the tool really analysed, from its own output (apps.tools.adapters.coverage):
    # {"unit": "files", "analysed": 12 or null, "unanalysed": [{"path", "reason"}] (<= 200),
    #  "unanalysed_count": 1, "summary": "12 files analysed; 1 file could not be analysed."}.
    coverage = models.JSONField(default=dict, blank=True)
    # sha256 of the tool's effective configuration: only runs with the same digest are
    # comparable for auto-resolve.
    config_digest = models.CharField(max_length=64, blank=True)
    # 40 hex digits for SHA-1 repositories, 64 for SHA-256 ones.
    commit_sha = models.CharField(max_length=64, blank=True)
    # Imported reports: the format the caller named (a tool id, "sarif" or "generic") and the
    # uploaded file's name as given (shown, never used as a path).
    report_format = models.CharField(max_length=32, blank=True)
    report_name = models.CharField(max_length=255, blank=True)
    # Keyed digest of an imported report with what reading it depends on (apps.imports.repeats):
    # the same report imported again right after itself is not read again.
    report_digest = models.CharField(max_length=64, blank=True)
    # Where the result's sightings are recorded (apps.findings.sightings): its stream and its
    # sequence number there, taken when its ingest starts; null for a result never ingested.
    sighting_stream = models.ForeignKey(
        "findings.SightingStream",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tool_results",
        db_index=False,  # the (sighting_stream, sighting_seq) index leads with it
    )
    sighting_seq = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["scan", "tool__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["scan", "tool", "target"], name="uniq_tool_result_per_scan_tool_target"
            ),
        ]
        indexes = [
            models.Index(fields=["tool", "target", "-finished_at"]),
            models.Index(fields=["sighting_stream", "sighting_seq"]),
        ]

    def __str__(self) -> str:
        return f"{self.tool_id} on {self.target_id} in scan {self.scan_id}"
