"""Query-string filters for scan configurations and scans.

Projects and configurations are filtered by plain ids (never by a model choice), so asking
for an id the caller cannot see gives an empty list rather than revealing that it exists.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django_filters.widgets import QueryArrayWidget

from apps.common.filters import IsoDateTimeFilter
from apps.common.ids import IdFilter
from apps.scans.models import Scan, ScanConfiguration, ScanStatus, ScanTrigger, ScheduleType


class CommaArrayWidget(QueryArrayWidget):
    """Several values as `?x=a&x=b`, `?x=a,b` or a mix of both."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        raw = data.getlist(name) + data.getlist(f"{name}[]") if hasattr(data, "getlist") else []
        if not raw and data.get(name):
            raw = [data.get(name)]
        values = [part.strip() for value in raw for part in str(value).split(",")]
        return list(dict.fromkeys(value for value in values if value))


class ScanConfigurationFilter(django_filters.FilterSet):
    schedule_type = django_filters.ChoiceFilter(choices=ScheduleType.choices)
    schedule_enabled = django_filters.BooleanFilter()
    webhook_enabled = django_filters.BooleanFilter()
    tool = IdFilter(
        field_name="tool_entries__tool_id",
        distinct=True,
        label="Configurations using this tool id.",
    )
    target = IdFilter(
        field_name="targets", distinct=True, label="Configurations including this target id."
    )

    class Meta:
        model = ScanConfiguration
        fields = ["schedule_type", "schedule_enabled", "webhook_enabled", "tool", "target"]


class ScanFilter(django_filters.FilterSet):
    project = IdFilter(field_name="project_id")
    configuration = IdFilter(field_name="configuration_id")
    status = django_filters.MultipleChoiceFilter(
        choices=ScanStatus.choices,
        widget=CommaArrayWidget,
        label="One or more statuses (repeat the parameter or separate with commas).",
    )
    trigger = django_filters.MultipleChoiceFilter(
        choices=ScanTrigger.choices,
        widget=CommaArrayWidget,
        label="One or more triggers (repeat the parameter or separate with commas).",
    )
    created_after = IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = IsoDateTimeFilter(field_name="created_at", lookup_expr="lte")
    ref = django_filters.CharFilter(label="Scans of exactly this ref (branch, tag, full ref).")

    class Meta:
        model = Scan
        fields = [
            "project",
            "configuration",
            "status",
            "trigger",
            "created_after",
            "created_before",
            "ref",
        ]
