"""Waiting for a scan to end, with live progress from GET /scans/{id}/status/."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

from seculite_cli.client import Api, CliError

FINAL_STATUSES = frozenset({"completed", "completed_with_errors", "failed", "error", "cancelled"})
# A gate compares only scans whose results are trustworthy enough to judge a merge on.
COMPARABLE_STATUSES = frozenset({"completed", "completed_with_errors"})
SEVERITY_ORDER = ("critical", "high", "medium", "low", "informational", "unknown")
_TOOL_ACTIVE = frozenset({"pending", "running"})


@dataclass
class Waiting:
    """How to poll: every `interval` seconds, giving up after `timeout` seconds."""

    interval: float = 2.0
    timeout: float = 3600.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic


def _tool_line(tool: dict[str, Any]) -> str:
    name = tool.get("tool_name") or tool.get("tool_slug") or "tool"
    target = f" on {tool['target_name']}" if tool.get("target_name") else ""
    line = f"{name}{target}: {tool.get('status')}"
    if tool.get("status") not in _TOOL_ACTIVE:
        count = tool.get("findings_count")
        if isinstance(count, int):
            line += f", {count} finding{'' if count == 1 else 's'}"
        if tool.get("error_message"):
            line += f" ({' '.join(str(tool['error_message']).split())[:200]})"
    return line


def summary_line(scan: dict[str, Any]) -> str:
    """`Scan 12 completed: 14 findings (3 new, 1 resolved) — 2 high, 12 low`."""
    text = f"Scan {scan.get('id')} {str(scan.get('status', '?')).replace('_', ' ')}"
    summary = scan.get("summary") or {}
    if isinstance(summary, dict) and "total" in summary:
        text += (
            f": {summary.get('total', 0)} findings ({summary.get('new', 0)} new, "
            f"{summary.get('resolved', 0)} resolved)"
        )
        by_severity = summary.get("by_severity") or {}
        counts = [f"{by_severity[s]} {s}" for s in SEVERITY_ORDER if by_severity.get(s)]
        if counts:
            text += " — " + ", ".join(counts)
    if scan.get("error_message"):
        text += f". {' '.join(str(scan['error_message']).split())[:300]}"
    return text


def scan_wait(api: Api, scan_id: int, *, console: Console, waiting: Waiting) -> dict[str, Any]:
    """Poll the scan's live status until it ends; print each tool run's changes and show a
    progress bar meanwhile. Returns the last live status. Still running after the timeout is
    a CliError."""
    deadline = waiting.clock() + waiting.timeout
    etag = ""
    status: dict[str, Any] = {}
    tool_states: dict[Any, str] = {}
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(f"Scan {scan_id}", total=100)
        while True:
            response = api.request(
                "GET",
                f"/scans/{scan_id}/status/",
                headers={"If-None-Match": etag} if etag else None,
                ok=(200, 304),
            )
            if response.status_code == 200 or not status:
                status = api.json(response)
                etag = response.headers.get("ETag", "")
                for tool in status.get("tool_results") or []:
                    key = tool.get("id")
                    if tool_states.get(key) != tool.get("status"):
                        tool_states[key] = str(tool.get("status"))
                        progress.console.print(f"  {_tool_line(tool)}", highlight=False)
                step = status.get("current_step") or str(status.get("status", ""))
                progress.update(
                    task,
                    completed=int(status.get("progress") or 0),
                    description=f"Scan {scan_id}: {step}",
                )
            if status.get("status") in FINAL_STATUSES:
                return status
            if waiting.clock() >= deadline:
                raise CliError(
                    f"scan {scan_id} is still {status.get('status')} after "
                    f"{waiting.timeout:.0f} s: stopped waiting ({api.web_url(f'/scans/{scan_id}')})"
                )
            waiting.sleep(waiting.interval)
