"""Admin for findings, their occurrences and events."""

from django.contrib import admin

from apps.findings.models import Finding, FindingEvent, FindingOccurrence


class FindingEventInline(admin.TabularInline):
    model = FindingEvent
    extra = 0
    readonly_fields = ["event_type", "actor", "from_value", "to_value", "comment", "created_at"]


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    list_display = ["title", "project", "severity", "status", "tool", "last_seen_at"]
    list_filter = ["severity", "status", "tool"]
    search_fields = ["title", "fingerprint", "file_path", "cve", "rule_id"]
    raw_id_fields = ["first_seen_scan", "last_seen_scan", "resolved_in_scan", "target"]
    inlines = [FindingEventInline]


@admin.register(FindingOccurrence)
class FindingOccurrenceAdmin(admin.ModelAdmin):
    list_display = [
        "finding", "scan", "last_scan", "first_seq", "last_seq", "file_path", "line_start",
        "seen_at", "last_seen_at",
    ]  # fmt: skip
    raw_id_fields = ["finding", "stream", "scan", "tool_result", "last_scan", "last_tool_result"]


@admin.register(FindingEvent)
class FindingEventAdmin(admin.ModelAdmin):
    list_display = ["finding", "event_type", "actor", "created_at"]
    list_filter = ["event_type"]
    raw_id_fields = ["finding", "scan"]
