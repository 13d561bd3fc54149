"""Serializers for findings, their occurrences and events, and the triage requests."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.common.ids import IdField
from apps.findings.models import (
    Confidence,
    DismissalReason,
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
from apps.targets.source_links import scan_commit, source_url

ConfidenceField = named_choice_field(Confidence, "ConfidenceEnum")
FindingStatusField = named_choice_field(FindingStatus, "FindingStatusEnum")
SettableFindingStatusField = named_choice_field(
    FindingStatus, "SettableFindingStatusEnum", exclude=(FindingStatus.AUTO_RESOLVED,)
)
FindingEventTypeField = named_choice_field(FindingEventType, "FindingEventTypeEnum")
DismissalReasonField = named_choice_field(DismissalReason, "DismissalReasonEnum")


class ScanRefSerializer(serializers.ModelSerializer):
    status = ScanStatusField(read_only=True)

    class Meta:
        model = Scan
        fields = ["id", "status", "created_at", "finished_at"]
        read_only_fields = fields


# The fields of a finding in a list, serialized field by field as DRF does: the declaration
# behind FindingListSerializer (and its schema) and FindingDetailSerializer. (Comments, not
# docstrings, on these classes: drf-spectacular would publish a docstring in the schema.)
class FindingFieldsSerializer(serializers.ModelSerializer):
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


_DATETIME = serializers.DateTimeField()
_DATE = serializers.DateField()


def _when(value: Any) -> Any:
    return None if value is None else _DATETIME.to_representation(value)


# A finding as the list shows it: FindingFieldsSerializer's fields and schema, written out in
# one dict. DRF's generic path (a field object, an attribute lookup and a call per value,
# nested serializers for the summaries) cost about 2 ms of CPU per page of 25; a test checks
# that both give the same rows.
class FindingListSerializer(FindingFieldsSerializer):
    def to_representation(self, instance: Finding) -> dict[str, Any]:
        finding = instance
        project, tool, target, assignee = (
            finding.project,
            finding.tool,
            finding.target,
            finding.assignee,
        )
        return {
            "id": finding.id,
            "project": {"id": project.id, "name": project.name},
            "title": finding.title,
            "severity": finding.severity,
            "severity_rank": finding.severity_rank,
            "confidence": finding.confidence,
            "status": finding.status,
            "on_default_branch": finding.on_default_branch,
            "tool": None if tool is None else {"id": tool.id, "slug": tool.slug, "name": tool.name},
            "rule_id": finding.rule_id,
            "target": None
            if target is None
            else {"id": target.id, "name": target.name, "asset_type": target.asset_type},
            "cwe": finding.cwe,
            "cve": finding.cve,
            "file_path": finding.file_path,
            "line_start": finding.line_start,
            "line_end": finding.line_end,
            "url": finding.url,
            "parameter": finding.parameter,
            "package_name": finding.package_name,
            "package_version": finding.package_version,
            "image": finding.image,
            "first_seen_at": _when(finding.first_seen_at),
            "last_seen_at": _when(finding.last_seen_at),
            "resolved_at": _when(finding.resolved_at),
            "assignee": None
            if assignee is None
            else {
                "id": assignee.id,
                "username": assignee.username,
                "email": assignee.email,
                "full_name": str(assignee.get_full_name()),
            },
            "due_date": None
            if finding.due_date is None
            else _DATE.to_representation(finding.due_date),
            "tags": finding.tags,
        }


class CodeContextSerializer(serializers.Serializer):
    start = serializers.IntegerField(read_only=True, help_text="Number of the first line.")
    lines = serializers.ListField(child=serializers.CharField(), read_only=True)
    highlight = serializers.ListField(
        child=serializers.IntegerField(),
        read_only=True,
        help_text="First and last flagged line numbers.",
    )


class FindingDetailSerializer(FindingFieldsSerializer):
    dismissal_reason = serializers.CharField(
        read_only=True,
        help_text="Why it was dismissed (a DismissalReasonEnum value); empty unless dismissed.",
    )
    code_context = CodeContextSerializer(
        read_only=True,
        allow_null=True,
        help_text="The flagged lines and a few around them, read from the scanned tree at "
        "ingest (secrets masked); null when the tree was not readable (imported reports).",
    )
    source_url = serializers.SerializerMethodField(
        help_text="The file at the scanned commit on its code host, or '' when unknown."
    )
    first_seen_scan = ScanRefSerializer(read_only=True, allow_null=True)
    last_seen_scan = ScanRefSerializer(read_only=True, allow_null=True)
    resolved_in_scan = ScanRefSerializer(read_only=True, allow_null=True)

    class Meta(FindingFieldsSerializer.Meta):
        fields = [
            *FindingFieldsSerializer.Meta.fields,
            "fingerprint",
            "description",
            "status_reason",
            "dismissal_reason",
            "accepted_until",
            "http_method",
            "fixed_version",
            "image_layer",
            "snippet",
            "evidence",
            "remediation",
            "references",
            "code_context",
            "source_url",
            "first_seen_scan",
            "last_seen_scan",
            "resolved_in_scan",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_source_url(self, finding: Finding) -> str:
        commit = scan_commit(finding.last_seen_scan, finding.target_id)
        return source_url(
            target=finding.target, commit=commit, file_path=finding.file_path,
            line=finding.line_start,
        )  # fmt: skip


class DismissalFieldsSerializer(serializers.Serializer):
    dismissal_reason = DismissalReasonField(
        required=False,
        allow_blank=True,
        help_text="Why a finding is dismissed, in the words people use; stands for its status "
        "(false_positive and used_in_tests: false_positive; wont_fix and accepted_risk: "
        "accepted_risk). Leave out with other statuses.",
    )
    accepted_until = serializers.DateField(
        required=False,
        allow_null=True,
        help_text="An accepted risk's last day (after today); the finding reopens after it.",
    )


class FindingStatusChangeSerializer(DismissalFieldsSerializer):
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

    def validate(self, attrs: dict) -> dict:
        if "status" not in attrs and not attrs.get("dismissal_reason"):
            raise serializers.ValidationError({"status": ["Give a status or a dismissal reason."]})
        return attrs


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


class FindingBulkSerializer(DismissalFieldsSerializer):
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
        if "status" not in attrs and "assignee" not in attrs and not attrs.get("dismissal_reason"):
            raise serializers.ValidationError({"status": ["Give a status, an assignee or both."]})
        return attrs


class FindingSelectionSerializer(serializers.Serializer):
    """Which findings: ids, or the list's current filter."""

    ids = serializers.ListField(
        child=IdField(),
        required=False,
        allow_empty=False,
        max_length=10_000,
        help_text="Finding ids; each must be visible to the caller.",
    )
    filter = serializers.DictField(
        required=False, help_text="The findings list's query parameters: every finding they match."
    )

    def validate(self, attrs: dict) -> dict:
        if ("ids" in attrs) == ("filter" in attrs):
            raise serializers.ValidationError({"ids": ['Give either "ids" or "filter".']})
        return attrs


class FindingAssigneesSerializer(FindingSelectionSerializer):
    """Which findings (ids, or the list's current filter), and whose people: those of every
    project among them, or of any."""

    any_project = serializers.BooleanField(
        required=False,
        default=False,
        help_text="false (to assign): people with a role in every project of the selection; "
        "true (to filter the list by assignee): in any one of them.",
    )


class FindingBulkResultSerializer(serializers.Serializer):
    matched = serializers.IntegerField(help_text="Findings selected.")
    status_changed = serializers.IntegerField()
    assigned = serializers.IntegerField(help_text="Findings whose assignee changed.")
    unchanged = serializers.IntegerField(help_text="Findings already as requested.")
