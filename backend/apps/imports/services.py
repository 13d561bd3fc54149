"""Report imports: a report from CI or another tool becomes a scan of trigger `import` with one
tool result, read by the same parsers and stored by the same ingest and lifecycle as a run.

`import_start` (the API side) checks the request, finds or creates the target, stores the
uploaded file as the tool result's raw output (moved, never read into memory) and queues
`import_run` on the `scans` queue. `import_run` (the worker side) reads the report with the
adapter's parser, the SARIF parser or the generic one, ingests every finding in one
transaction (a report that breaks half way stores nothing), keeps the raw output with secrets
rewritten out of it, and ends the scan through `scan_fan_in` / `scan_finalize` like any run.
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.common.errors import ServiceError
from apps.findings.ingest import findings_ingest
from apps.findings.lifecycle import config_digest
from apps.findings.secrets import SecretMasker, redaction_needed
from apps.imports.formats import ImportFormat, import_format_get, import_formats
from apps.imports.paths import findings_relative_to, source_root_validate
from apps.imports.reading import (
    Producer,
    ReportRejected,
    imported_tool_slug,
    report_producer,
    report_reader,
    report_secret_values,
)
from apps.projects.models import Project
from apps.scans import limits
from apps.scans.models import (
    SCAN_FINAL_STATUSES,
    Scan,
    ScanStatus,
    ScanToolResult,
    ScanTrigger,
    ToolResultStatus,
)
from apps.scans.services import verdicts
from apps.scans.services.execution import scan_fan_in
from apps.scans.services.scans import TOOL_RESULT_FINAL
from apps.scans.services.tool_results import tool_result_finish, tool_result_keep_raw_output
from apps.targets.models import AssetType, TargetAsset
from apps.targets.refs import ref_short_name, ref_validate, target_default_branch
from apps.targets.services import target_create
from apps.tools.adapters.base import PreparedTarget, ToolOutputError
from apps.tools.adapters.registry import ADAPTERS
from apps.tools.models import ToolCategory, ToolDefinition

logger = logging.getLogger(__name__)

DEFAULT_IMPORT_MAX_BYTES = 1024**3
IMPORTED_REASON = "Imported reports only: no adapter runs this tool."
_COMMIT = re.compile(r"[0-9a-fA-F]{7,64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CHUNK = 1024 * 1024


def import_max_bytes() -> int:
    return int(getattr(settings, "SECULITE_IMPORT_MAX_BYTES", DEFAULT_IMPORT_MAX_BYTES))


def import_deadline_seconds() -> int:
    """How long an import may stay queued or running before the reaper ends it: its task's
    hard time limit (limits.tool_task_time_limits with no tool time) plus the scan margin."""
    return limits.scan_deadline_seconds(
        tool_runs=1,
        tool_timeout=0,
        concurrency=1,
        margin=int(settings.SECULITE_SCAN_DEADLINE_MARGIN_SECONDS),
    )


def _format_or_error(format_id: str) -> ImportFormat:
    fmt = import_format_get(format_id)
    if fmt is None:
        known = ", ".join(f.id for f in import_formats())
        raise ValidationError({"format": [f"Unknown format '{format_id[:64]}'. Known: {known}."]})
    return fmt


def _report_name(upload: Any) -> str:
    name = Path(str(getattr(upload, "name", "") or "report")).name
    return _CONTROL.sub("", name)[:255] or "report"


def _check_size(upload: Any, fmt: ImportFormat) -> None:
    size = int(upload.size or 0)
    limit = import_max_bytes()
    if size > limit:
        raise ServiceError(
            f"The report is {size} bytes; this server imports reports of at most {limit} bytes "
            "(SECULITE_IMPORT_MAX_BYTES).",
            code="request_too_large",
            status_code=413,
        )
    if size == 0 and not fmt.empty_ok:
        raise ValidationError({"file": ["The file is empty: upload the tool's report."]})


def _find_target(
    *, project: Project, target: TargetAsset | None, target_id: int | None
) -> TargetAsset | None:
    if target is not None:
        if target.project_id != project.pk:
            raise ValidationError({"target": ["No such target in this project."]})
        return target
    if target_id is None:
        return None
    found = TargetAsset.objects.filter(project=project, pk=target_id).first()
    if found is None:
        raise ValidationError({"target": [f"No target with id {target_id} in this project."]})
    return found


# target_create's field names → the import request's.
_TARGET_FIELDS = {"identifier": "target_identifier", "name": "target_name",
                  "asset_type": "target_type"}  # fmt: skip


def _target_by_name(
    *, project: Project, user: Any, name: str, asset_type: str, identifier: str
) -> TargetAsset:
    """The project's target called `name` (which must be of `asset_type`), else a new one."""
    if not name or not asset_type:
        raise ValidationError(
            {"target": ["Give a target id, or target_name and target_type to find or create it."]}
        )
    existing = TargetAsset.objects.filter(project=project, name=name).first()
    if existing is not None:
        if existing.asset_type != asset_type:
            message = f"The target '{name}' is a {existing.asset_type} target, not {asset_type}."
            raise ValidationError({"target_type": [message]})
        return existing
    if asset_type == AssetType.FILE_UPLOAD:
        message = (
            "A file_upload target is created with its archive on the targets page (or POST "
            ".../targets/); then import into it by id."
        )
        raise ValidationError({"target_type": [message]})
    if not identifier:
        message = (
            f"A new {asset_type} target needs its identifier (the repository URL, path, URL, "
            "image, range or domain)."
        )
        raise ValidationError({"target_identifier": [message]})
    try:
        return target_create(
            project=project, user=user, name=name, asset_type=asset_type, identifier=identifier
        )
    except ValidationError as exc:
        errors = {
            _TARGET_FIELDS.get(field, f"target_{field}"): messages
            for field, messages in exc.message_dict.items()
        }
        raise ValidationError(errors) from exc


def _check_commit(commit: str) -> str:
    commit = commit.strip()
    if commit and not _COMMIT.fullmatch(commit):
        raise ValidationError({"commit": ["Give the commit as 7 to 64 hexadecimal digits."]})
    return commit.lower()


def _check_source_root(root: str) -> str:
    try:
        return source_root_validate(root)
    except ValidationError as exc:
        raise ValidationError({"source_root": exc.messages}) from exc


def _check_ref(ref: str) -> str:
    try:
        return ref_validate(ref or "")
    except ValidationError as exc:
        raise ValidationError({"ref": exc.messages}) from exc


@contextlib.contextmanager
def _local_copy(upload: Any) -> Iterator[Path]:
    """A path to the upload's bytes: Django's temporary file when it has one, else a copy."""
    temporary = getattr(upload, "temporary_file_path", None)
    if temporary is not None:
        yield Path(temporary())
        return
    with tempfile.NamedTemporaryFile(prefix="seculite-import-") as copy:
        upload.seek(0)
        for chunk in upload.chunks(_CHUNK):
            copy.write(chunk)
        copy.flush()
        upload.seek(0)
        yield Path(copy.name)


def imported_tool_get_or_create(*, name: str) -> ToolDefinition:
    """The IMPORTED tool row for a report producer SecuLite has no adapter for."""
    tool, _ = ToolDefinition.objects.get_or_create(
        slug=imported_tool_slug(name),
        defaults={
            "name": name[:100],
            "category": ToolCategory.IMPORTED,
            "description": f"Findings imported from {name[:100]} reports.",
            "available": False,
            "unavailable_reason": IMPORTED_REASON,
        },
    )
    return tool


def _tool_row(producer: Producer) -> ToolDefinition:
    if producer.tool_id is None:
        return imported_tool_get_or_create(name=producer.name)
    adapter = ADAPTERS[producer.tool_id]
    tool, _ = ToolDefinition.objects.get_or_create(
        slug=adapter.tool_id,
        defaults={
            "name": adapter.name,
            "category": adapter.category,
            "description": adapter.description,
            "homepage": adapter.homepage,
            "supported_asset_types": list(adapter.supported_asset_types),
            "default_config": dict(adapter.default_config),
            "config_schema": dict(adapter.config_schema),
            "available": False,
            "unavailable_reason": "Not checked on a worker yet (manage.py tools_sync).",
        },
    )
    return tool


def _target_snapshot(target: TargetAsset) -> dict[str, Any]:
    return {
        "id": target.pk,
        "name": target.name,
        "asset_type": target.asset_type,
        "identifier": target.identifier,
        "metadata": target.metadata,
    }


def import_start(
    *,
    project: Project,
    user: Any,
    upload: Any,
    format: str,
    target: TargetAsset | None = None,
    target_id: int | None = None,
    target_name: str = "",
    target_type: str = "",
    target_identifier: str = "",
    ref: str = "",
    commit: str = "",
    tool_version: str = "",
    source_root: str = "",
) -> Scan:
    """Create an import scan of `upload` (a Django File: an UploadedFile from a request, or
    any File with a name and size) and queue it. The target is `target`/`target_id` of the
    project, or the one called `target_name` (of `target_type`; created with
    `target_identifier` if missing). Field errors come back as ValidationError; a report
    over SECULITE_IMPORT_MAX_BYTES is a 413."""
    fmt = _format_or_error(format)
    _check_size(upload, fmt)
    ref, commit = _check_ref(ref), _check_commit(commit)
    source_root = _check_source_root(source_root)
    report_name = _report_name(upload)
    stored: list[Any] = []
    try:
        with transaction.atomic():
            found = _find_target(project=project, target=target, target_id=target_id)
            if found is None:
                found = _target_by_name(
                    project=project, user=user, name=target_name.strip(),
                    asset_type=target_type, identifier=target_identifier.strip(),
                )  # fmt: skip
            scan = _create_scan(
                project=project, user=user, upload=upload, fmt=fmt, target=found,
                report_name=report_name, ref=ref, commit=commit, tool_version=tool_version,
                source_root=source_root, stored=stored,
            )  # fmt: skip
            transaction.on_commit(lambda: _enqueue_import(scan.pk))
    except Exception:
        for field in stored:  # the file of a scan that was never created
            field.storage.delete(field.name)
        raise
    return scan


def _create_scan(
    *,
    project: Project,
    user: Any,
    upload: Any,
    fmt: ImportFormat,
    target: TargetAsset,
    report_name: str,
    ref: str,
    commit: str,
    tool_version: str,
    source_root: str,
    stored: list[Any],
) -> Scan:
    if fmt.tool is not None and target.asset_type not in ADAPTERS[fmt.tool].supported_asset_types:
        kinds = ", ".join(ADAPTERS[fmt.tool].supported_asset_types)
        message = (
            f"{fmt.name} reports are about {kinds} targets; '{target.name}' is a "
            f"{target.asset_type} target."
        )
        raise ValidationError({"format": [message]})
    with _local_copy(upload) as path:
        try:
            producer = report_producer(path=path, fmt=fmt, asset_type=target.asset_type)
        except ReportRejected as exc:
            raise ValidationError({"file": [str(exc)]}) from exc
    tool = _tool_row(producer)
    now = timezone.now()
    snapshot = _target_snapshot(target)
    is_default = not ref or ref_short_name(ref) == target_default_branch(target)
    scan = Scan.objects.create(
        project=project,
        trigger=ScanTrigger.IMPORT,
        triggered_by=user if user is not None and user.is_authenticated else None,
        status=ScanStatus.QUEUED,
        queued_at=now,
        deadline_at=now + timedelta(seconds=import_deadline_seconds()),
        configuration_snapshot={
            "name": f"Import of {report_name}",
            "import": {
                "format": fmt.id,
                "report_name": report_name,
                "source_root": source_root,
            },
            "targets": [snapshot],
            "tools": [{"id": tool.pk, "slug": tool.slug, "name": tool.name}],
        },
        current_step="Queued",
        ref=ref,
        commit_sha=commit,
        is_default_branch=is_default,
    )
    result = ScanToolResult.objects.create(
        scan=scan,
        tool=tool,
        target=target,
        target_snapshot=snapshot,
        status=ToolResultStatus.PENDING,
        tool_version=str(tool_version or "").strip()[:100],
        commit_sha=commit,
        report_format=fmt.id,
        report_name=report_name,
    )
    upload.seek(0)
    result.raw_output.save(f"import-scan{scan.pk}-{tool.slug}-{result.pk}.report", upload)
    stored.append(result.raw_output)
    return scan


def _enqueue_import(scan_id: int) -> None:
    from apps.imports.tasks import import_run as task

    sent = task.apply_async(args=(scan_id,), queue="scans")
    Scan.objects.filter(pk=scan_id).update(celery_task_id=sent.id or "")


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
            shutil.copyfileobj(source, copy, _CHUNK)
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
