"""The worker side of a report import: read the stored report with its parser, ingest every
finding in one transaction (a report that breaks half way stores nothing), keep the raw output
with secrets rewritten out of it, and end the scan through `scan_fan_in` like any run."""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone

from apps.findings.ingest import findings_ingest
from apps.findings.lifecycle import config_digest
from apps.findings.secrets import SecretMasker, redaction_needed
from apps.imports import repeats
from apps.imports.checks import CHUNK_BYTES
from apps.imports.paths import findings_relative_to
from apps.imports.reading import ReportRejected, report_reader, report_secret_values
from apps.scans.models import (
    SCAN_FINAL_STATUSES,
    Scan,
    ScanStatus,
    ScanToolResult,
    ToolResultStatus,
)
from apps.scans.services import verdicts
from apps.scans.services.execution import scan_fan_in
from apps.scans.services.scans import TOOL_RESULT_FINAL
from apps.scans.services.tool_results import tool_result_finish, tool_result_keep_raw_output
from apps.targets.models import AssetType, TargetAsset
from apps.tools.adapters.base import PreparedTarget, ToolOutputError

logger = logging.getLogger(__name__)


def import_run(*, scan_id: int) -> None:
    """Read and ingest the scan's report(s), then fan in like a run; idempotent: a redelivered
    task repeats what the last attempt did not finish (its transaction left nothing)."""
    with transaction.atomic():
        scan = Scan.objects.select_for_update().get(pk=scan_id)
        if scan.status in SCAN_FINAL_STATUSES:
            return
        if scan.status != ScanStatus.RUNNING:
            scan.status = ScanStatus.RUNNING
            scan.started_at = scan.started_at or timezone.now()
            scan.current_step = "Importing the report"
            scan.save(update_fields=["status", "started_at", "current_step", "updated_at"])
    pending = ScanToolResult.objects.filter(scan_id=scan_id).exclude(status__in=TOOL_RESULT_FINAL)
    for result in pending.select_related("scan__project", "tool", "target"):
        _import_result(result)
    scan_fan_in(scan_id=scan_id, finalize_here=True)


def _prepared(target: TargetAsset) -> PreparedTarget:
    """The target as parsers see it: no tree (`path` None), its URL, host or image."""
    kind, identifier = target.asset_type, target.identifier
    host = identifier if kind in (AssetType.DOMAIN, AssetType.IP_RANGE) else ""
    if kind == AssetType.URL:
        with contextlib.suppress(ValueError):
            host = urlsplit(identifier).hostname or ""
    return PreparedTarget(
        asset_type=kind,
        identifier=identifier,
        path=None,
        url=identifier if kind == AssetType.URL else "",
        host=host,
        image=identifier if kind == AssetType.CONTAINER_IMAGE else "",
        metadata=dict(target.metadata or {}),
    )


def _import_result(result: ScanToolResult) -> None:
    result.status = ToolResultStatus.RUNNING
    result.started_at = timezone.now()
    result.error_message = ""
    result.save(update_fields=["status", "started_at", "error_message", "updated_at"])
    try:
        _read_and_ingest(result)
    except Exception as exc:  # the tool result records any crash; never half a scan
        logger.exception("import of tool result %s crashed", result.pk)
        tool_result_finish(
            result,
            ToolResultStatus.FAILED,
            error_message=f"Internal error: {exc.__class__.__name__}: {exc}"[:2000],
        )


def _read_and_ingest(result: ScanToolResult) -> None:
    target = result.target
    if target is None:
        tool_result_finish(result, ToolResultStatus.FAILED, error_message="The target was deleted.")
        return
    if not result.raw_output:
        tool_result_finish(
            result, ToolResultStatus.FAILED, error_message="The uploaded report is missing."
        )
        return
    with _stored_report(result) as path:
        result.report_digest = repeats.report_digest(result=result, path=path)
        if repeats.report_repeat(result=result):
            return
        masker = SecretMasker(result.tool.slug)
        try:
            _ingest(result, target=target, path=path, masker=masker)
        finally:
            # Whatever the outcome, the stored upload keeps no secret: the values the
            # findings were masked of, the report's own secret fields, key blocks and token
            # shapes are rewritten out of it (a report with none stays as it was uploaded).
            secrets = masker.values | report_secret_values(path, result.report_format)
            if redaction_needed(path, secrets):
                _redact_stored_report(result, path, secrets)


@contextlib.contextmanager
def _stored_report(result: ScanToolResult) -> Iterator[Path]:
    """The stored upload as a local file: itself when the storage keeps files on this disk,
    else a temporary copy."""
    try:
        local = Path(result.raw_output.path)
    except NotImplementedError:
        local = None
    if local is not None and local.is_file():
        yield local
        return
    with tempfile.TemporaryDirectory(prefix=f"seculite-import-{result.scan_id}-") as tmp:
        path = Path(tmp) / "report"
        with result.raw_output.open("rb") as source, path.open("wb") as copy:
            shutil.copyfileobj(source, copy, CHUNK_BYTES)
        yield path


def _redact_stored_report(result: ScanToolResult, path: Path, secrets: set[str]) -> None:
    """Replace the stored upload by its copy with `secrets` and secret shapes masked."""
    with tempfile.TemporaryDirectory(prefix=f"seculite-import-{result.scan_id}-") as tmp:
        copy = Path(tmp) / "report"
        shutil.copyfile(path, copy)
        tool_result_keep_raw_output(result, copy, Path(result.raw_output.name).name, secrets)
        result.save(update_fields=["raw_output", "updated_at"])


class _NothingAnalysed(Exception):
    """The report says the tool analysed nothing: its findings are not kept."""


def _ingest(result: ScanToolResult, *, target: TargetAsset, path: Path, masker: Any) -> None:
    prepared = _prepared(target)
    failed = ToolResultStatus.FAILED
    try:
        reader = report_reader(
            path=path, format_id=result.report_format, tool_slug=result.tool.slug,
            tool_name=result.tool.name, target=prepared,
        )  # fmt: skip
    except ReportRejected as exc:
        tool_result_finish(result, failed, error_message=str(exc)[:2000])
        return
    # Imports of one tool, target and format resolve each other's findings, never a run's.
    result.config_digest = config_digest(
        tool=result.tool.slug, config={"import": reader.read_as}, target=target
    )
    adapter = reader.coverage_adapter

    def read_coverage() -> Any:
        if adapter is None:
            return None
        return verdicts.tool_coverage(adapter, output_path=path, target=prepared, stderr="")

    def fail(message: str, coverage: Any) -> None:
        if adapter is not None and coverage is not None and coverage.analysed == 0:
            message = f"{adapter.name} analysed 0 {coverage.unit} according to the report."
        common = {"coverage": coverage.as_json() if coverage else {}}
        tool_result_finish(result, failed, error_message=message[:2000], **common)

    if reader.with_coverage is None:
        coverage = read_coverage()
        if coverage is not None and coverage.analysed == 0:
            fail("", coverage)
            return
        findings = reader.findings()
        covered = None
    else:  # the coverage is read in the same pass as the findings
        findings, covered = reader.with_coverage()
    source_root = (result.scan.configuration_snapshot.get("import") or {}).get("source_root")
    if source_root:
        findings = findings_relative_to(findings, source_root)
    try:
        with transaction.atomic():  # the whole report or nothing
            ingested = findings_ingest(
                project=result.scan.project, findings=findings, tool=result.tool,
                tool_result=result, target=target, target_root=None, masker=masker,
            )  # fmt: skip
            if covered is not None:
                coverage = covered()
                if coverage is not None and coverage.analysed == 0:
                    raise _NothingAnalysed
    except _NothingAnalysed:
        fail("", coverage)
        return
    except ToolOutputError as exc:
        fail(f"Unreadable report: {exc}", coverage if covered is None else read_coverage())
        return
    except RecursionError:
        message = "Unreadable report: it is nested too deeply."
        fail(message, coverage if covered is None else read_coverage())
        return
    except (ValueError, KeyError, TypeError) as exc:
        message = f"Unreadable report: {exc.__class__.__name__}: {exc}"
        fail(message, coverage if covered is None else read_coverage())
        return
    common: dict[str, Any] = {"coverage": coverage.as_json() if coverage else {}}
    if adapter is not None and coverage is not None and coverage.partial:
        message = verdicts.partial_message(adapter, coverage)
        tool_result_finish(
            result, ToolResultStatus.PARTIAL, findings_count=ingested.total,
            error_message=message, **common,
        )  # fmt: skip
        return
    status = ToolResultStatus.COMPLETED if ingested.total else ToolResultStatus.NO_FINDINGS
    tool_result_finish(result, status, findings_count=ingested.total, **common)
