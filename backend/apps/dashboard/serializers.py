"""Serializers of the dashboard's aggregates."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rest_framework import serializers

from apps.dashboard import snapshots
from apps.dashboard.metrics import (
    DEFAULT_COVERAGE_DAYS,
    DEFAULT_RANGE_DAYS,
    MAX_COVERAGE_DAYS,
    MAX_RANGE_DAYS,
)
from apps.dashboard.snapshots import utc_day
from apps.findings.models import FindingStatus, Severity
from apps.findings.serializers import FindingListSerializer
from apps.scans.serializers import ScanListSerializer


class SeverityCountsSerializer(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        return {value: serializers.IntegerField() for value in Severity.values}


class StatusCountsSerializer(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        return {value: serializers.IntegerField() for value in FindingStatus.values}


class TrendPointSerializer(serializers.Serializer):
    date = serializers.DateField()
    new = serializers.IntegerField(help_text="Findings first seen that day.")
    resolved = serializers.IntegerField(help_text="Findings resolved that day.")


class AssignedToMeSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Open findings assigned to the caller.")
    results = FindingListSerializer(many=True, help_text="The most severe of them.")


class DashboardOutputSerializer(serializers.Serializer):
    generated_at = serializers.DateTimeField()
    timezone = serializers.CharField(help_text="The caller's timezone the days are counted in.")
    project_count = serializers.IntegerField()
    total = serializers.IntegerField(help_text="Findings in every status.")
    open_total = serializers.IntegerField(help_text="Findings new, confirmed or reopened.")
    open_by_severity = SeverityCountsSerializer(help_text="Open findings per severity.")
    by_status = StatusCountsSerializer(help_text="Findings per status.")
    trend = TrendPointSerializer(many=True, help_text="New vs resolved per day, oldest first.")
    recent_scans = ScanListSerializer(many=True)
    assigned_to_me = AssignedToMeSerializer()


class MetricsQuerySerializer(serializers.Serializer):
    """The range and coverage window of a metrics request (UTC days)."""

    # "from" is a Python keyword: the field is renamed in get_fields.
    from_ = serializers.DateField(
        required=False, help_text="First day (default: 89 days before `to`)."
    )
    to = serializers.DateField(
        required=False, help_text="Last day, at most today (default: today)."
    )
    coverage_days = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_COVERAGE_DAYS,
        default=DEFAULT_COVERAGE_DAYS,
        help_text="Targets without a successful tool run in this many days count as uncovered.",
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        today = utc_day(snapshots.utc_now())
        end = attrs.get("to") or today
        if end > today:
            raise serializers.ValidationError({"to": [f"The last day is at most today ({today})."]})
        start = attrs.get("from") or end - timedelta(days=DEFAULT_RANGE_DAYS - 1)
        if start > end:
            raise serializers.ValidationError({"from": ["The first day is after the last day."]})
        if (end - start).days + 1 > MAX_RANGE_DAYS:
            raise serializers.ValidationError(
                {"from": [f"The range is longer than {MAX_RANGE_DAYS} days."]}
            )
        return {"start": start, "end": end, "coverage_days": attrs["coverage_days"]}


class MetricsOpenDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    recorded = serializers.BooleanField(help_text="False: no snapshot was taken that day.")
    total = serializers.IntegerField(allow_null=True)

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for value in Severity.values:
            fields[value] = serializers.IntegerField(allow_null=True)
        return fields


class MetricsWeekSerializer(serializers.Serializer):
    week = serializers.CharField(help_text="ISO week, e.g. 2026-W05.")
    start = serializers.DateField(help_text="Its Monday.")
    new = serializers.IntegerField(help_text="Findings first seen that week (within the range).")
    fixed = serializers.IntegerField(help_text="Findings resolved that week (within the range).")


class MetricsTimeToFixSerializer(serializers.Serializer):
    severity = serializers.CharField(help_text="A finding severity.")
    fixed = serializers.IntegerField(help_text="Findings of this severity fixed in the range.")
    mean_days = serializers.FloatField(allow_null=True)
    median_days = serializers.FloatField(allow_null=True)


class MetricsSlaSerializer(serializers.Serializer):
    severity = serializers.CharField(help_text="A finding severity.")
    fixed = serializers.IntegerField(help_text="Fixed in the range, with a due date.")
    fixed_on_time = serializers.IntegerField(help_text="Of those, fixed by their due day.")
    compliance = serializers.FloatField(allow_null=True, help_text="fixed_on_time / fixed.")
    open_with_due_date = serializers.IntegerField()
    open_past_due = serializers.IntegerField(help_text="Open findings past their due date.")


class MetricsAgeBucketSerializer(serializers.Serializer):
    bucket = serializers.CharField(help_text="Days since first seen: 0-7, 8-30, 31-90, 91+.")
    total = serializers.IntegerField()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        for value in Severity.values:
            fields[value] = serializers.IntegerField()
        return fields


class MetricsTopEntrySerializer(serializers.Serializer):
    key = serializers.CharField()
    count = serializers.IntegerField()


class MetricsTopOpenSerializer(serializers.Serializer):
    rules = MetricsTopEntrySerializer(many=True)
    cwes = MetricsTopEntrySerializer(many=True)
    files = MetricsTopEntrySerializer(many=True)


class MetricsToolContributionSerializer(serializers.Serializer):
    tool = serializers.CharField(help_text="Tool id (empty for findings without a tool).")
    name = serializers.CharField()
    open = serializers.IntegerField()
    new = serializers.IntegerField(help_text="First seen in the range.")


class MetricsUncoveredTargetSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    asset_type = serializers.CharField()
    project_id = serializers.IntegerField()
    project_name = serializers.CharField()
    last_successful_run_at = serializers.DateTimeField(allow_null=True)


class MetricsCoverageSerializer(serializers.Serializer):
    days = serializers.IntegerField()
    targets = serializers.IntegerField(help_text="Active targets.")
    uncovered_count = serializers.IntegerField()
    uncovered = MetricsUncoveredTargetSerializer(many=True, help_text="The first 50 of them.")


class MetricsOutputSerializer(serializers.Serializer):
    to = serializers.DateField()
    today = serializers.DateField()
    timezone = serializers.CharField(help_text="Days and weeks are UTC.")
    generated_at = serializers.DateTimeField()
    as_of = serializers.DateTimeField(
        help_text=(
            "The figures count every change committed before this time: the oldest time any "
            "of the projects' metric rollups was recomputed (they are recomputed seconds "
            "after a scan, an import or a triage). On SQLite, the request's time."
        )
    )
    project_count = serializers.IntegerField()
    open_by_day = MetricsOpenDaySerializer(
        many=True, help_text="Open findings at the end of each day."
    )
    new_vs_fixed = MetricsWeekSerializer(many=True)
    time_to_fix = MetricsTimeToFixSerializer(many=True)
    sla = MetricsSlaSerializer(many=True)
    age = MetricsAgeBucketSerializer(many=True, help_text="Open findings by age.")
    top = MetricsTopOpenSerializer(help_text="Top 10 rules, CWEs and files among open findings.")
    tools = MetricsToolContributionSerializer(many=True)
    coverage = MetricsCoverageSerializer()

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        fields["from"] = serializers.DateField()
        return fields
