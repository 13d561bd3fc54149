"""Admin for scan configurations, scans and tool results."""

from django.contrib import admin

from apps.scans.models import Scan, ScanConfiguration, ScanConfigurationTool, ScanToolResult


class ScanConfigurationToolInline(admin.TabularInline):
    model = ScanConfigurationTool
    extra = 0


@admin.register(ScanConfiguration)
class ScanConfigurationAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "schedule_type", "schedule_enabled", "updated_at"]
    list_filter = ["schedule_type"]
    search_fields = ["name"]
    inlines = [ScanConfigurationToolInline]
    exclude = ["webhook_token_hash"]


class ScanToolResultInline(admin.TabularInline):
    model = ScanToolResult
    extra = 0
    fields = ("tool", "target", "status", "tool_version", "exit_code", "duration_ms")
    readonly_fields = fields


@admin.register(Scan)
class ScanAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "configuration", "trigger", "status", "progress", "created_at"]
    list_filter = ["status", "trigger"]
    inlines = [ScanToolResultInline]


@admin.register(ScanToolResult)
class ScanToolResultAdmin(admin.ModelAdmin):
    list_display = ["id", "scan", "tool", "target", "status", "exit_code", "duration_ms"]
    list_filter = ["status", "tool"]
