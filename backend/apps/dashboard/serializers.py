"""Serializers of the dashboard's aggregates."""

from __future__ import annotations

from rest_framework import serializers

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
