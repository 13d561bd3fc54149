"""Input and output shapes of the reports API and the report schedules API."""

from __future__ import annotations

from rest_framework import serializers

from apps.projects.serializers import UserSummarySerializer
from apps.reports.models import (
    Report,
    ReportFormat,
    ReportKind,
    ReportSchedule,
    ReportStatus,
    ScheduleFrequency,
)

MAX_RECIPIENTS = 20


class ReportRequestSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=ReportFormat.choices)
    kind = serializers.ChoiceField(
        choices=[(ReportKind.PROJECT.value, ReportKind.PROJECT.label)],
        default=ReportKind.PROJECT,
        help_text="Only `project` here; a scan's report is requested on the scan.",
    )
    period_start = serializers.DateField(
        required=False, help_text="First UTC day covered (default: 29 days before the end)."
    )
    period_end = serializers.DateField(
        required=False, help_text="Last UTC day covered (default: today; at most 366 days)."
    )


class ScanReportRequestSerializer(serializers.Serializer):
    format = serializers.ChoiceField(choices=ReportFormat.choices)


class ReportSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=ReportKind.choices)
    format = serializers.ChoiceField(choices=ReportFormat.choices)
    status = serializers.ChoiceField(
        choices=ReportStatus.choices,
        help_text="queued → running → ready (download it) or failed (see `error`).",
    )
    requested_by = UserSummarySerializer(read_only=True, allow_null=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Report
        fields = [
            "id", "project", "scan", "kind", "format", "status", "error", "size", "sha256",
            "requested_by", "schedule", "period_start", "period_end", "created_at",
            "started_at", "finished_at", "download_url",
        ]  # fmt: skip
        read_only_fields = fields

    def get_download_url(self, report: Report) -> str | None:
        if report.status != ReportStatus.READY:
            return None
        return f"/api/v1/reports/{report.pk}/download/"


class ReportScheduleSerializer(serializers.ModelSerializer):
    frequency = serializers.ChoiceField(choices=ScheduleFrequency.choices)
    weekday = serializers.IntegerField(
        min_value=0, max_value=6, default=0, help_text="Weekly: 0 = Monday … 6 = Sunday."
    )
    day_of_month = serializers.IntegerField(
        min_value=1, max_value=28, default=1, help_text="Monthly: the day, 1-28."
    )
    format = serializers.ChoiceField(choices=ReportFormat.choices, default=ReportFormat.PDF)
    recipients = serializers.ListField(
        child=serializers.EmailField(max_length=254),
        min_length=1,
        max_length=MAX_RECIPIENTS,
        help_text=f"E-mail addresses the report is sent to (1-{MAX_RECIPIENTS}).",
    )
    enabled = serializers.BooleanField(default=True)

    class Meta:
        model = ReportSchedule
        fields = [
            "id", "project", "frequency", "weekday", "day_of_month", "format", "recipients",
            "enabled", "next_run_at", "last_run_at", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = [
            "id", "project", "next_run_at", "last_run_at", "created_at", "updated_at",
        ]  # fmt: skip

    def validate_recipients(self, value: list[str]) -> list[str]:
        seen: dict[str, None] = {}
        for address in value:
            seen.setdefault(address.strip().lower(), None)
        return list(seen)
