"""Serializers for findings, their occurrences and events, and the triage requests."""

from __future__ import annotations

from rest_framework import serializers

from apps.common.ids import IdField
from apps.findings.models import (
    Confidence,
    Finding,
    FindingEvent,
    FindingEventType,
    FindingOccurrence,
    FindingStatus,
)
from apps.projects.serializers import UserSummarySerializer
from apps.scans.enums import named_choice_field
from apps.scans.models import Scan
from apps.scans.serializers import (
    NamedRefSerializer,
    ScanStatusField,
    SeverityField,
    TargetSummarySerializer,
    ToolSummarySerializer,
)

ConfidenceField = named_choice_field(Confidence, "ConfidenceEnum")
FindingStatusField = named_choice_field(FindingStatus, "FindingStatusEnum")
SettableFindingStatusField = named_choice_field(
    FindingStatus, "SettableFindingStatusEnum", exclude=(FindingStatus.AUTO_RESOLVED,)
)
FindingEventTypeField = named_choice_field(FindingEventType, "FindingEventTypeEnum")


class ScanRefSerializer(serializers.ModelSerializer):
    status = ScanStatusField(read_only=True)

    class Meta:
        model = Scan
        fields = ["id", "status", "created_at", "finished_at"]
        read_only_fields = fields


class FindingListSerializer(serializers.ModelSerializer):
    project = NamedRefSerializer(read_only=True)
    tool = ToolSummarySerializer(read_only=True, allow_null=True)
    target = TargetSummarySerializer(read_only=True, allow_null=True)
    assignee = UserSummarySerializer(read_only=True, allow_null=True)
    severity = SeverityField(read_only=True)
    confidence = ConfidenceField(read_only=True)
    status = FindingStatusField(read_only=True)

    class Meta:
        model = Finding
        fields = [
            "id",
            "project",
            "title",
            "severity",
            "severity_rank",
            "confidence",
            "status",
            "on_default_branch",
            "tool",
            "rule_id",
            "target",
            "cwe",
            "cve",
            "file_path",
            "line_start",
            "line_end",
            "url",
            "parameter",
            "package_name",
            "package_version",
            "image",
            "first_seen_at",
            "last_seen_at",
            "resolved_at",
            "assignee",
            "due_date",
            "tags",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "on_default_branch": {
                "help_text": "False while only scans of other refs (branches, pull requests) "
                "have seen the finding: such findings are compared, not counted."
            }
        }


class FindingDetailSerializer(FindingListSerializer):
    first_seen_scan = ScanRefSerializer(read_only=True, allow_null=True)
    last_seen_scan = ScanRefSerializer(read_only=True, allow_null=True)
    resolved_in_scan = ScanRefSerializer(read_only=True, allow_null=True)

    class Meta(FindingListSerializer.Meta):
        fields = [
            *FindingListSerializer.Meta.fields,
            "fingerprint",
            "description",
            "status_reason",
            "http_method",
            "fixed_version",
            "image_layer",
            "snippet",
            "evidence",
            "remediation",
            "references",
            "first_seen_scan",
            "last_seen_scan",
            "resolved_in_scan",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class FindingStatusChangeSerializer(serializers.Serializer):
    status = SettableFindingStatusField(
        error_messages={"invalid_choice": '"{input}" is not a status a person can set.'}
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=5000,
        help_text="Why; required for false_positive and accepted_risk.",
    )


class FindingAssignSerializer(serializers.Serializer):
    assignee = IdField(
        allow_null=True, help_text="User id with a role in the project, or null to unassign."
    )
    due_date = serializers.DateField(
        required=False, allow_null=True, help_text="Leave out to keep; null clears it."
    )


class FindingCommentSerializer(serializers.Serializer):
    comment = serializers.CharField(max_length=10000)


class FindingEventSerializer(serializers.ModelSerializer):
    actor = UserSummarySerializer(read_only=True, allow_null=True)
    event_type = FindingEventTypeField(read_only=True)

    class Meta:
        model = FindingEvent
        fields = [
            "id",
            "event_type",
            "actor",
            "from_value",
            "to_value",
            "comment",
            "scan",
            "created_at",
        ]
        read_only_fields = fields


class FindingOccurrenceSerializer(serializers.ModelSerializer):
    """A sighting range: seen by every scan of its stream from `scan` to `last_scan`."""

    scan = ScanRefSerializer(read_only=True)
    last_scan = ScanRefSerializer(read_only=True, allow_null=True)
    sightings = serializers.IntegerField(
        read_only=True, help_text="How many tool results (one per scan) the range spans."
    )
    tool = ToolSummarySerializer(source="tool_result.tool", read_only=True)
    target = TargetSummarySerializer(source="tool_result.target", read_only=True, allow_null=True)

    class Meta:
        model = FindingOccurrence
        fields = [
            "id",
            "scan",
            "last_scan",
            "tool_result",
            "last_tool_result",
            "tool",
            "target",
            "file_path",
            "line_start",
            "line_end",
            "seen_at",
            "last_seen_at",
            "sightings",
        ]
        read_only_fields = fields


class FindingBulkSerializer(serializers.Serializer):
    """Which findings (ids, or the list's current filter) and what to change on them."""

    ids = serializers.ListField(
        child=IdField(),
        required=False,
        allow_empty=False,
        max_length=10_000,
        help_text="Finding ids; each must be visible to the caller.",
    )
    filter = serializers.DictField(
        required=False,
        help_text="The findings list's query parameters (severity, status, tool, target, "
        "assignee, cwe, cve, first_seen_after, ..., search): every finding they match.",
    )
    status = SettableFindingStatusField(
        required=False,
        error_messages={"invalid_choice": '"{input}" is not a status a person can set.'},
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=5000,
        help_text="Why; required for false_positive and accepted_risk.",
    )
    assignee = IdField(
        required=False,
        allow_null=True,
        help_text="User id with a role in every affected project; null unassigns; leave out "
        "to keep.",
    )

    def validate(self, attrs: dict) -> dict:
        if ("ids" in attrs) == ("filter" in attrs):
            raise serializers.ValidationError({"ids": ['Give either "ids" or "filter".']})
        if "status" not in attrs and "assignee" not in attrs:
            raise serializers.ValidationError({"status": ["Give a status, an assignee or both."]})
        return attrs


class FindingBulkResultSerializer(serializers.Serializer):
    matched = serializers.IntegerField(help_text="Findings selected.")
    status_changed = serializers.IntegerField()
    assigned = serializers.IntegerField(help_text="Findings whose assignee changed.")
    unchanged = serializers.IntegerField(help_text="Findings already as requested.")
