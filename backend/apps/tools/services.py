"""Writes to tool definitions that administrators make (the sync command owns the rest)."""

from __future__ import annotations

from apps.tools.models import ToolDefinition


def tool_set_enabled(*, tool: ToolDefinition, enabled: bool) -> ToolDefinition:
    """Switch a tool on or off for new scans; `available` (what the worker found) is untouched."""
    if tool.enabled != enabled:
        tool.enabled = enabled
        tool.save(update_fields=["enabled", "updated_at"])
    return tool
