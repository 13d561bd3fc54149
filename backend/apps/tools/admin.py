"""Admin for tool definitions (rows mirror the adapter registry; admins toggle `enabled`)."""

from django.contrib import admin

from apps.tools.models import ToolDefinition


@admin.register(ToolDefinition)
class ToolDefinitionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "category", "version", "available", "enabled"]
    list_filter = ["category", "available", "enabled"]
    search_fields = ["name", "slug"]
    list_editable = ["enabled"]
