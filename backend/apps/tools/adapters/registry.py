"""The explicit registry: tool id → adapter. Adding a tool means one line here."""

from __future__ import annotations

from apps.tools.adapters.base import ToolAdapter

ADAPTERS: dict[str, ToolAdapter] = {}


def adapter_get(tool_id: str) -> ToolAdapter:
    try:
        return ADAPTERS[tool_id]
    except KeyError as exc:
        raise LookupError(f"no adapter registered for tool {tool_id!r}") from exc
