"""The explicit registry: tool id → adapter. Adding a tool means one import and one line here."""

from __future__ import annotations

from apps.tools.adapters.base import ToolAdapter

# Code, secrets and IaC scanners (each run against a prepared source tree).
_CODE_ADAPTERS: tuple[ToolAdapter, ...] = ()

# Dependency, image, DAST, TLS and network scanners.
_OTHER_ADAPTERS: tuple[ToolAdapter, ...] = ()

ADAPTERS: dict[str, ToolAdapter] = {
    adapter.tool_id: adapter for adapter in (*_CODE_ADAPTERS, *_OTHER_ADAPTERS)
}


def adapter_get(tool_id: str) -> ToolAdapter:
    try:
        return ADAPTERS[tool_id]
    except KeyError as exc:
        raise LookupError(f"no adapter registered for tool {tool_id!r}") from exc
