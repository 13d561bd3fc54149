"""Honest verdicts: how a tool run ends (skipped, failed, partial, completed) from what it
really analysed, and how a scan ends from its tool runs."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from apps.scans.models import ScanStatus, ScanToolResult, ToolResultStatus
from apps.tools.adapters.base import PreparedTarget, ToolAdapter, ToolOutputError
from apps.tools.adapters.common import INPUT_SCAN_LIMIT
from apps.tools.adapters.coverage import Coverage, unit_noun

logger = logging.getLogger(__name__)

# Runs that looked at everything they were given.
SUCCEEDED = (ToolResultStatus.COMPLETED, ToolResultStatus.NO_FINDINGS)
# Runs whose findings were stored: complete ones and partial ones.
STORED = (*SUCCEEDED, ToolResultStatus.PARTIAL)
# Ends that neither looked nor need to: a tool with nothing to look at in the target.
NOT_A_PROBLEM = (*SUCCEEDED, ToolResultStatus.SKIPPED)


def tool_coverage(
    adapter: ToolAdapter, *, output_path: Path, target: PreparedTarget, stderr: str
) -> Coverage | None:
    """The adapter's coverage of this run, or None when its output does not tell (an
    unreadable report fails the run later, while it is parsed)."""
    try:
        return adapter.coverage(output_path=output_path, target=target, stderr=stderr)
    except (ToolOutputError, ValueError, KeyError, TypeError, OSError) as exc:
        logger.warning("no coverage from %s: %s", adapter.tool_id, exc)
        return None


def nothing_analysed_reason(
    adapter: ToolAdapter,
    coverage: Coverage | None,
    *,
    target: PreparedTarget,
    config: Mapping[str, Any],
) -> str:
    """Why a run that analysed nothing is a failure ("" when it analysed something or does not
    say). Only asked after the tool was found applicable, so the target had inputs."""
    if coverage is None or coverage.analysed != 0:
        return ""
    inputs = adapter.input_files(target=target, config=config)
    although = ""
    if inputs:
        count = f"{len(inputs)}+" if len(inputs) >= INPUT_SCAN_LIMIT else str(len(inputs))
        describe = getattr(adapter, "input_description", None)
        kind = describe(config) if describe else "files"
        although = f" although the tree has {count} {kind}"
    # The summary adds nothing when it only repeats the zero.
    detail = "" if coverage.summary.startswith("0 ") else f" {coverage.summary}"
    return f"{adapter.name} analysed 0 {coverage.unit}{although}.{detail}"


def partial_message(adapter: ToolAdapter, coverage: Coverage) -> str:
    """A short error message for a partial run: how many, and the first few with why."""
    named = "; ".join(f"{path or '?'} ({reason})" for path, reason in coverage.unanalysed[:3])
    more = coverage.unanalysed_count - min(3, len(coverage.unanalysed))
    tail = f"; and {more} more" if more > 0 else ""
    return (
        f"Partial: {adapter.name} could not analyse {coverage.unanalysed_count} "
        f"{unit_noun(coverage.unit, coverage.unanalysed_count)}: {named}{tail}. "
        "Findings elsewhere were stored."
    )[:2000]


def _describe(result: ScanToolResult) -> str:
    target = result.target_snapshot.get("name", result.target_id)
    reason = result.error_message.strip().splitlines()[0][:200] if result.error_message else ""
    missed = (result.coverage or {}).get("unanalysed_count")
    if result.status == ToolResultStatus.PARTIAL and missed:
        unit = str(result.coverage.get("unit") or "files")
        reason = f"{missed} {unit_noun(unit, missed)} not analysed"
    return f"{result.tool.name} on {target}: {result.get_status_display().lower()}" + (
        f" ({reason})" if reason else ""
    )


def scan_end_state(results: Iterable[ScanToolResult]) -> tuple[str, str]:
    """(status, error message) of a scan whose tool runs all ended.

    completed: every run succeeded or was skipped as not applicable (skipping never fails a
    scan); completed_with_errors: some run failed, timed out, was cancelled or partial, and at
    least one stored its findings; failed: no run stored anything although some should have.
    """
    results = list(results)
    troubled = [r for r in results if r.status not in NOT_A_PROBLEM]
    if not troubled:
        return ScanStatus.COMPLETED, ""
    message = "; ".join(_describe(r) for r in troubled)[:2000]
    if any(r.status in STORED for r in results):
        return ScanStatus.COMPLETED_WITH_ERRORS, message
    return ScanStatus.FAILED, message
