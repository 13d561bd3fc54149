"""Ending a tool result and keeping its raw output: shared by tool runs and report imports."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.core.files import File
from django.utils import timezone

from apps.common.redact import tool_error_for_users
from apps.findings.secrets import redact_file
from apps.scans.models import ScanToolResult

# Every column but the ingest's own (apps.findings.sightings writes them in the ingest's
# transaction): after a failed import rolled them back, the copy in memory is stale.
_FINISHED_FIELDS = [
    field.name
    for field in ScanToolResult._meta.concrete_fields
    if not field.primary_key and field.name not in ("sighting_stream", "sighting_seq")
]


def tool_result_finish(result: ScanToolResult, status: str, **fields: Any) -> None:
    """Record how `result` ended: status, end time, duration and the given fields."""
    result.status = status
    result.finished_at = timezone.now()
    if result.started_at:
        result.duration_ms = int((result.finished_at - result.started_at).total_seconds() * 1000)
    for name, value in fields.items():
        setattr(result, name, value)
    # Members read this message: no worker paths, no reply from a URL an override named.
    result.error_message = tool_error_for_users(result)
    result.save(update_fields=_FINISHED_FIELDS)


def tool_result_keep_raw_output(
    result: ScanToolResult, output_path: Path, name: str, secret_values: Iterable[str] = ()
) -> None:
    """Keep the tool's raw output with hard-coded secrets rewritten out of it: key blocks and
    token shapes always, and once ingestion has run the values the findings were masked of
    (replacing the copy kept before)."""
    if not output_path.exists():
        return
    masked = output_path.with_name(output_path.name + ".kept")
    redact_file(output_path, masked, secret_values)
    if result.raw_output:
        result.raw_output.delete(save=False)
    with open(masked, "rb") as raw:
        result.raw_output.save(name, File(raw), save=False)
