"""Report imports: a report from CI or another tool becomes a scan of trigger `import` with one
tool result, read by the same parsers and stored by the same ingest and lifecycle as a run.

`import_start` (the API side) checks the request (apps.imports.checks), finds or creates the
target, stores the uploaded file as the tool result's raw output (moved, never read into
memory) and queues `import_run` (apps.imports.running, the worker side) on the `scans` queue.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.imports.checks import (
    check_commit,
    check_ref,
    check_size,
    check_source_root,
    find_target,
    format_or_error,
    local_copy,
    target_by_name,
    upload_report_name,
)
from apps.imports.formats import ImportFormat
from apps.imports.reading import (
    Producer,
    ReportRejected,
    imported_tool_slug,
    report_producer,
)
from apps.projects.models import Project
from apps.scans import limits
from apps.scans.models import (
    Scan,
    ScanStatus,
    ScanToolResult,
    ScanTrigger,
    ToolResultStatus,
)
from apps.targets.models import TargetAsset
from apps.targets.refs import ref_short_name, target_default_branch
from apps.tools.adapters.registry import ADAPTERS
from apps.tools.models import ToolCategory, ToolDefinition

IMPORTED_REASON = "Imported reports only: no adapter runs this tool."


def import_deadline_seconds() -> int:
    """How long an import may stay queued or running before the reaper ends it: its task's
    hard time limit (limits.tool_task_time_limits with no tool time) plus the scan margin."""
    return limits.scan_deadline_seconds(
        tool_runs=1,
        tool_timeout=0,
        concurrency=1,
        margin=int(settings.SECULITE_SCAN_DEADLINE_MARGIN_SECONDS),
    )


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
    fmt = format_or_error(format)
    check_size(upload, fmt)
    ref, commit = check_ref(ref), check_commit(commit)
    source_root = check_source_root(source_root)
    report_name = upload_report_name(upload)
    stored: list[Any] = []
    try:
        with transaction.atomic():
            found = find_target(project=project, target=target, target_id=target_id)
            if found is None:
                found = target_by_name(
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
    with local_copy(upload) as path:
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
