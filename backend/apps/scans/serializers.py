"""Serializers for scan configurations, scans and tool results.

Input serializers check the shape of each field; the configuration services check what needs
the database or several fields at once.
"""

from __future__ import annotations

from typing import Any

from django.core.validators import URLValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.common.ids import IdField
from apps.findings.models import Severity
from apps.notifications.formats import WebhookFormat
from apps.notifications.webhooks import webhook_display_url
from apps.projects.serializers import UserSummarySerializer
from apps.scans.enums import named_choice_field
from apps.scans.models import (
    Scan,
    ScanConfiguration,
    ScanConfigurationTool,
    ScanStatus,
    ScanToolResult,
    ScanTrigger,
    ScheduleType,
    ToolResultStatus,
)
from apps.scans.schedule import configuration_next_run_at, timezone_error
from apps.targets.models import TargetAsset, TargetGroup
from apps.targets.refs import ref_validate
from apps.tools.models import ToolDefinition

MAX_NOTIFY_EMAILS = 20

ScanStatusField = named_choice_field(ScanStatus, "ScanStatusEnum")
ScanTriggerField = named_choice_field(ScanTrigger, "ScanTriggerEnum")
ToolResultStatusField = named_choice_field(ToolResultStatus, "ToolResultStatusEnum")
SeverityField = named_choice_field(Severity, "SeverityEnum")


# --- Summaries shared with other apps' serializers -------------------------------------------


class ToolSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = ToolDefinition
        fields = ["id", "slug", "name"]
        read_only_fields = fields


class TargetSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = TargetAsset
        fields = ["id", "name", "asset_type"]
        read_only_fields = fields


class TargetGroupSummarySerializer(serializers.ModelSerializer):
    class Meta:
        model = TargetGroup
        fields = ["id", "name"]
        read_only_fields = fields


class NamedRefSerializer(serializers.Serializer):
    """{id, name} of a related object (a project, a configuration)."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


# --- Scan configurations ---------------------------------------------------------------------


@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string"}]})
class ToolReferenceField(serializers.Field):
    """A tool given by id (integer) or slug (string)."""

    default_error_messages = {"invalid": "Give a tool id or slug."}

    def to_internal_value(self, data: Any) -> int | str:
        if isinstance(data, bool) or not isinstance(data, int | str) or data == "":
            self.fail("invalid")
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class ScanConfigurationToolInputSerializer(serializers.Serializer):
    tool = ToolReferenceField(help_text="Tool id or slug.")
    overrides = serializers.DictField(
        required=False,
        default=dict,
        help_text="Options for this tool, validated against the tool's config_schema.",
    )


def _timezone_exists(name: str) -> None:
    problem = timezone_error(name)
    if problem:
        raise serializers.ValidationError(problem)


class ScanConfigurationInputSerializer(serializers.Serializer):
    """Create (all fields but `name` optional) and PATCH (every field optional)."""

    name = serializers.CharField(max_length=150)
    description = serializers.CharField(required=False, allow_blank=True)
    targets = serializers.ListField(
        child=IdField(),
        required=False,
        help_text="Ids of targets of this project.",
    )
    target_groups = serializers.ListField(
        child=IdField(),
        required=False,
        help_text="Ids of target groups of this project.",
    )
    tools = ScanConfigurationToolInputSerializer(many=True, required=False)
    schedule_type = serializers.ChoiceField(choices=ScheduleType.choices, required=False)
    schedule_enabled = serializers.BooleanField(required=False)
    schedule_once_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="Required for a one-off schedule."
    )
    schedule_cron = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=120,
        help_text='Five-field cron expression, e.g. "0 3 * * 1-5". Required for cron.',
    )
    schedule_timezone = serializers.CharField(
        required=False,
        max_length=64,
        validators=[_timezone_exists],
        help_text='IANA timezone name the cron expression is read in, e.g. "Europe/Berlin".',
    )
    webhook_enabled = serializers.BooleanField(
        required=False,
        help_text="Turning this on issues a webhook token, shown once in the response.",
    )
    notify_on_completion = serializers.BooleanField(required=False)
    notify_on_failure = serializers.BooleanField(required=False)
    notify_min_severity = SeverityField(required=False)
    notify_emails = serializers.ListField(
        child=serializers.EmailField(), required=False, max_length=MAX_NOTIFY_EMAILS
    )
    notify_webhook_url = serializers.URLField(
        required=False,
        allow_blank=True,
        max_length=2048,
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="Where scan notifications are POSTed, signed with the configuration's secret. "
        "Setting it on a configuration without a secret issues one, shown once in the response.",
    )
    notify_webhook_format = serializers.ChoiceField(
        choices=WebhookFormat.choices,
        required=False,
        help_text="The body's shape: generic JSON, a Slack or a Microsoft Teams message.",
    )
    tool_timeout_seconds = serializers.IntegerField(
        required=False,
        min_value=30,
        max_value=86400,
        help_text="Seconds a tool run may take; at most the server's "
        "SECULITE_TOOL_TIMEOUT_MAX_SECONDS (4 hours by default).",
    )


class ScanConfigurationCloneSerializer(serializers.Serializer):
    name = serializers.CharField(
        max_length=150,
        required=False,
        help_text='Name of the copy; defaults to "<name> (copy)", numbered until unique.',
    )


class ScanConfigurationToolOutputSerializer(serializers.ModelSerializer):
    tool = ToolSummarySerializer(read_only=True)

    class Meta:
        model = ScanConfigurationTool
        fields = ["tool", "overrides"]
        read_only_fields = fields


class ScanConfigurationOutputSerializer(serializers.ModelSerializer):
    targets = TargetSummarySerializer(many=True, read_only=True)
    target_groups = TargetGroupSummarySerializer(many=True, read_only=True)
    tools = ScanConfigurationToolOutputSerializer(source="tool_entries", many=True, read_only=True)
    next_run_at = serializers.SerializerMethodField(
        help_text="When the schedule next starts a scan, in the configuration's timezone; "
        "null for manual or disabled schedules."
    )
    webhook_token = serializers.SerializerMethodField(
        help_text="The webhook token, only in the response of the request that turned the "
        "webhook on. It is never shown again."
    )
    notify_webhook_url = serializers.SerializerMethodField(
        help_text="The notification webhook without its secret parts (credentials, query, and "
        "the path after its first segment, where chat services keep their token); empty when "
        "none is set. Sending this value back keeps the stored URL."
    )
    notify_webhook_secret = serializers.SerializerMethodField(
        help_text="The webhook's signing secret, only in the response of the request that "
        "issued it (setting the first webhook URL, cloning, rotating). It is never shown again."
    )
    created_by = UserSummarySerializer(read_only=True, allow_null=True)
    notify_min_severity = SeverityField(read_only=True)

    class Meta:
        model = ScanConfiguration
        fields = [
            "id",
            "project",
            "name",
            "description",
            "targets",
            "target_groups",
            "tools",
            "schedule_type",
            "schedule_enabled",
            "schedule_once_at",
            "schedule_cron",
            "schedule_timezone",
            "next_run_at",
            "webhook_enabled",
            "webhook_token",
            "notify_on_completion",
            "notify_on_failure",
            "notify_min_severity",
            "notify_emails",
            "notify_webhook_url",
            "notify_webhook_format",
            "notify_webhook_secret",
            "tool_timeout_seconds",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_next_run_at(self, configuration: ScanConfiguration) -> str | None:
        next_run = configuration_next_run_at(configuration=configuration)
        return next_run.isoformat() if next_run else None

    @extend_schema_field(serializers.CharField())
    def get_notify_webhook_url(self, configuration: ScanConfiguration) -> str:
        url = configuration.notify_webhook_url
        return webhook_display_url(url) if url else ""

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_webhook_token(self, configuration: ScanConfiguration) -> str | None:
        token = self.context.get("webhook_token")
        return str(token) if token else None

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_notify_webhook_secret(self, configuration: ScanConfiguration) -> str | None:
        secret = self.context.get("webhook_secret")
        return str(secret) if secret else None


# --- Scans -----------------------------------------------------------------------------------


class RefField(serializers.CharField):
    """A git ref (branch, tag, refs/pull/12/head …) as `git check-ref-format` accepts it."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 255)
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return ref_validate(super().to_internal_value(data))


class ScanStartInputSerializer(serializers.Serializer):
    ref = RefField(
        required=False,
        help_text="Branch, tag or full ref (refs/pull/12/head, refs/merge-requests/3/head) to "
        "check git targets out at; empty or absent: each target's default branch.",
    )


class UnanalysedItemSerializer(serializers.Serializer):
    path = serializers.CharField(help_text="File (relative to the tree), host, URL or package.")
    reason = serializers.CharField()


class CoverageSerializer(serializers.Serializer):
    """What a tool run really analysed, read from the tool's own output; null when the run
    never got that far (skipped, failed before its report was read, older results)."""

    unit = serializers.ChoiceField(
        choices=["files", "hosts", "urls", "dependencies", "images", "servers"]
    )
    analysed = serializers.IntegerField(
        allow_null=True, help_text="How many the tool analysed; null when the tool does not say."
    )
    unanalysed = UnanalysedItemSerializer(
        many=True, help_text="What it could not analyse, and why (at most 200)."
    )
    unanalysed_count = serializers.IntegerField()
    summary = serializers.CharField()


@extend_schema_field(CoverageSerializer(allow_null=True))
class CoverageField(serializers.JSONField):
    """A result's stored coverage, null when there is none."""

    def to_representation(self, value: Any) -> Any:
        # The stored JSON also carries the run's isolation (see `isolation`), shown apart.
        if not isinstance(value, dict) or "unit" not in value:
            return None
        return {key: value[key] for key in CoverageSerializer().fields if key in value}


class ScanToolResultSerializer(serializers.ModelSerializer):
    """One tool run. `status` partial: some inputs were not analysed (listed in `coverage`,
    findings stored); skipped: the tool had nothing to look at (`error_message` says why)."""

    tool = ToolSummarySerializer(read_only=True)
    target = TargetSummarySerializer(read_only=True, allow_null=True)
    status = ToolResultStatusField(read_only=True)
    coverage = CoverageField(read_only=True)
    isolation = serializers.SerializerMethodField(
        help_text="How the tool ran: 'sandboxed', 'reduced' (no namespaces on this worker: "
        "scrubbed environment and limits only), or empty when it never ran."
    )

    class Meta:
        model = ScanToolResult
        fields = [
            "id",
            "tool",
            "target",
            "status",
            "tool_version",
            "exit_code",
            "started_at",
            "finished_at",
            "duration_ms",
            "findings_count",
            "error_message",
            "coverage",
            "isolation",
            "raw_output_available",
            "commit_sha",
            "report_format",
            "report_name",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "commit_sha": {
                "help_text": "The commit this tool analysed (git targets); empty otherwise."
            },
            "report_format": {
                "help_text": "Imported reports: the format named on import (a tool id, sarif or "
                "generic); empty for runs."
            },
            "report_name": {
                "help_text": "Imported reports: the uploaded file's name (display only)."
            },
        }

    raw_output_available = serializers.SerializerMethodField()

    def get_raw_output_available(self, result: ScanToolResult) -> bool:
        return bool(result.raw_output)

    def get_isolation(self, result: ScanToolResult) -> str:
        return str((result.coverage or {}).get("isolation") or "")


def _import_field(scan: Scan, key: str) -> str:
    annotated = f"import_{key}" if key != "format" else "import_report_format"
    if hasattr(scan, annotated):
        return str(getattr(scan, annotated) or "")
    return str((scan.configuration_snapshot.get("import") or {}).get(key) or "")


class ScanListSerializer(serializers.ModelSerializer):
    project = NamedRefSerializer(read_only=True)
    configuration = NamedRefSerializer(read_only=True, allow_null=True)
    triggered_by = UserSummarySerializer(read_only=True, allow_null=True)
    trigger = ScanTriggerField(read_only=True)
    status = ScanStatusField(read_only=True)
    report_name = serializers.SerializerMethodField(
        help_text="Imports: the uploaded report's file name; empty for runs."
    )
    report_format = serializers.SerializerMethodField(
        help_text="Imports: the report's format id (GET /api/v1/imports/formats/); empty for runs."
    )

    class Meta:
        model = Scan
        fields = [
            "id",
            "project",
            "configuration",
            "trigger",
            "triggered_by",
            "status",
            "progress",
            "current_step",
            "summary",
            "error_message",
            "report_name",
            "report_format",
            "ref",
            "commit_sha",
            "is_default_branch",
            "created_at",
            "queued_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "ref": {
                "help_text": "The branch, tag or full ref the scan looked at, as asked or as its "
                "only git target's checkout resolved; empty: each target's default branch."
            },
            "commit_sha": {"help_text": "The commit the scan looked at, when it has one."},
            "is_default_branch": {
                "help_text": "Whether the scan looked at its targets' default branch: only such "
                "scans resolve and reopen findings."
            },
        }

    # Lists read these from the snapshot in the database (scan_list); a single scan has it.
    def get_report_name(self, scan: Scan) -> str:
        return _import_field(scan, "report_name")

    def get_report_format(self, scan: Scan) -> str:
        return _import_field(scan, "format")


class ScanCheckoutSerializer(serializers.Serializer):
    ref = serializers.CharField(
        help_text="Branch or tag name, full ref (refs/pull/12/head), commit hash, file name; "
        "for the remote's default branch its name (HEAD when the remote does not say)."
    )
    ref_type = serializers.CharField(
        help_text="branch, tag, ref (a full ref), commit, default, archive or path."
    )
    commit = serializers.CharField(help_text="The commit every tool of the scan analysed.")
    sha256 = serializers.CharField(required=False, help_text="Archives: the file's digest.")


class ScanDetailSerializer(ScanListSerializer):
    tool_results = ScanToolResultSerializer(many=True, read_only=True)
    checkouts = serializers.DictField(
        child=ScanCheckoutSerializer(),
        read_only=True,
        help_text="What each git or archive target (keyed by target id) was checked out at, "
        "once for the whole scan.",
    )

    class Meta(ScanListSerializer.Meta):
        fields = [
            *ScanListSerializer.Meta.fields,
            "configuration_snapshot",
            "checkouts",
            "tool_results",
        ]
        read_only_fields = fields


class ScanLiveToolStatusSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    tool_slug = serializers.CharField()
    tool_name = serializers.CharField()
    target_name = serializers.CharField(allow_null=True)
    status = ToolResultStatusField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    duration_ms = serializers.IntegerField(allow_null=True)
    findings_count = serializers.IntegerField()
    error_message = serializers.CharField()
    coverage = CoverageField()


class ScanLiveStatusSerializer(serializers.Serializer):
    """The small payload the scan page polls (with If-None-Match) while a scan runs."""

    id = serializers.IntegerField()
    status = ScanStatusField()
    progress = serializers.IntegerField()
    current_step = serializers.CharField()
    summary = serializers.DictField()
    error_message = serializers.CharField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()
    tool_results = ScanLiveToolStatusSerializer(many=True)
