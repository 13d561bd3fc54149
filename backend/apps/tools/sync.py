"""Keep ToolDefinition rows in step with the adapter registry and this worker's binaries."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from apps.tools.adapters.base import ToolAdapter
from apps.tools.adapters.registry import ADAPTERS
from apps.tools.adapters.runner import run_for_text
from apps.tools.models import ToolCategory, ToolDefinition

VERSION_TIMEOUT_SECONDS = 60


@dataclass(frozen=True)
class ToolProbe:
    tool_id: str
    available: bool
    version: str
    reason: str


def tool_probe(adapter: ToolAdapter) -> ToolProbe:
    """Is the binary here, and which version is it? A version command that fails makes the
    tool unavailable with the reason, since a binary that cannot print its version will not
    scan either."""
    reason = adapter.unavailable_reason()
    command = adapter.version_command()
    if reason or command is None:
        return ToolProbe(adapter.tool_id, False, "", reason or "no version command")
    exit_code, output = run_for_text(command, timeout_seconds=VERSION_TIMEOUT_SECONDS)
    if exit_code != 0:
        tail = output.strip().splitlines()[-1:] or ["no output"]
        return ToolProbe(
            adapter.tool_id, False, "", f"'{' '.join(command[1:])}' failed: {tail[0][:300]}"
        )
    return ToolProbe(adapter.tool_id, True, adapter.parse_version(output)[:100], "")


def tools_probe(adapters: dict[str, ToolAdapter]) -> dict[str, ToolProbe]:
    """Every adapter's probe, four at a time (a version command can take seconds)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return {probe.tool_id: probe for probe in pool.map(tool_probe, adapters.values())}


def tools_sync(*, adapters: dict[str, ToolAdapter] | None = None) -> list[ToolDefinition]:
    """Create or update one row per adapter; rows without an adapter become unavailable,
    except the IMPORTED rows of report producers (never run, so never checked). The admins'
    `enabled` switch is never changed here."""
    adapters = ADAPTERS if adapters is None else adapters
    probes = tools_probe(adapters)
    now = timezone.now()
    rows = []
    with transaction.atomic():
        for tool_id, adapter in adapters.items():
            probe = probes[tool_id]
            row, _ = ToolDefinition.objects.update_or_create(
                slug=tool_id,
                defaults={
                    "name": adapter.name,
                    "category": adapter.category,
                    "description": adapter.description,
                    "homepage": adapter.homepage,
                    "supported_asset_types": list(adapter.supported_asset_types),
                    "default_config": dict(adapter.default_config),
                    "config_schema": dict(adapter.config_schema),
                    "available": probe.available,
                    "version": probe.version,
                    "unavailable_reason": probe.reason,
                    "last_checked_at": now,
                },
            )
            rows.append(row)
        ToolDefinition.objects.exclude(slug__in=list(adapters)).exclude(
            category=ToolCategory.IMPORTED
        ).update(
            available=False,
            unavailable_reason="No adapter for this tool in this version of SecuLite.",
            last_checked_at=now,
        )
    return rows
