"""Reports: requesting one (queued for the worker), generating it, keeping the last few.

`report_request` records a queued report and enqueues `reports.generate` once the row is
committed. `report_generate` (what the worker runs) renders the document, writes it
atomically and marks the report ready, or failed with a sentence for people (the exception
itself goes to the log, never to the row). After each report the project's older reports
beyond `KEEP_PER_PROJECT` are deleted, files first.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.common.errors import ServiceError
from apps.projects.models import Project
from apps.reports.models import Report, ReportFormat, ReportKind, ReportStatus
from apps.reports.rendering import (
    absolute_path,
    report_document,
    report_relative_path,
    write_atomically,
)
from apps.scans.models import Scan

logger = logging.getLogger(__name__)

KEEP_PER_PROJECT = 20
DEFAULT_PERIOD_DAYS = 30
MAX_PERIOD_DAYS = 366
GENERATION_FAILED = "The report could not be generated. Try again; if it fails again, ask an administrator to look at the worker's log."  # noqa: E501


def _enqueue(report: Report) -> None:
    from apps.reports.tasks import generate

    def send() -> None:
        try:
            generate.apply_async(kwargs={"report_id": report.pk}, queue="default")
        except Exception:  # the row stays queued; the caller sees it and may ask again
            logger.exception("could not queue report %s", report.pk)

    transaction.on_commit(send)


def report_period(*, start: date | None, end: date | None) -> tuple[date, date]:
    """The period a report covers: the last 30 UTC days unless given; at most a year."""
    today = datetime.now(UTC).date()
    end = end or today
    start = start or end - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    if start > end:
        raise ServiceError("period_start must be on or before period_end.", code="invalid_period")
    if end > today:
        raise ServiceError("period_end cannot be in the future.", code="invalid_period")
    if (end - start).days >= MAX_PERIOD_DAYS:
        raise ServiceError(
            f"A report covers at most {MAX_PERIOD_DAYS} days.", code="invalid_period"
        )
    return start, end


@transaction.atomic
def report_request(
    *,
    project: Project,
    user: Any,
    format: str,
    scan: Scan | None = None,
    period_start: date | None = None,
    period_end: date | None = None,
    schedule: Any = None,
) -> Report:
    """A queued report of `project` (or of its `scan`); the worker generates it."""
    start, end = report_period(start=period_start, end=period_end)
    if scan is not None:
        start = end = (scan.finished_at or scan.created_at).date()
    report = Report.objects.create(
        project=project,
        scan=scan,
        kind=ReportKind.SCAN if scan is not None else ReportKind.PROJECT,
        format=ReportFormat(format),
        requested_by=user if getattr(user, "is_authenticated", False) else None,
        schedule=schedule,
        period_start=start,
        period_end=end,
    )
    _enqueue(report)
    return report


def report_generate(*, report_id: int) -> Report | None:
    """Render and store the report (the worker's job). A report already ready or failed
    is left alone, so a redelivered task does nothing twice."""
    with transaction.atomic():
        report = (
            Report.objects.select_for_update(of=("self",))
            .select_related("project", "scan", "requested_by")
            .filter(pk=report_id)
            .first()
        )
        if report is None or report.status in (ReportStatus.READY, ReportStatus.FAILED):
            return report
        report.status = ReportStatus.RUNNING
        report.started_at = timezone.now()
        report.save(update_fields=["status", "started_at"])
    try:
        content = report_document(report)
        relative = report_relative_path(report)
        size, digest = write_atomically(relative, content)
    except Exception:
        logger.exception("report %s failed", report.pk)
        report.status = ReportStatus.FAILED
        report.error = GENERATION_FAILED
        report.finished_at = timezone.now()
        report.save(update_fields=["status", "error", "finished_at"])
        return report
    report.file_path, report.size, report.sha256 = relative, size, digest
    report.status = ReportStatus.READY
    report.finished_at = timezone.now()
    report.save(update_fields=["file_path", "size", "sha256", "status", "finished_at"])
    reports_prune(project_id=report.project_id)
    if report.schedule_id:
        from apps.reports.schedules import report_email

        report_email(report=report)
    return report


def _delete_files(paths: list[str]) -> None:
    for relative in paths:
        if relative:
            absolute_path(relative).unlink(missing_ok=True)


def reports_prune(*, project_id: int, keep: int = KEEP_PER_PROJECT) -> int:
    """Delete the project's finished reports beyond the newest `keep` (rows and files)."""
    old = list(
        Report.objects.filter(
            project_id=project_id, status__in=(ReportStatus.READY, ReportStatus.FAILED)
        )
        .order_by("-created_at", "-id")
        .values_list("id", "file_path")[keep:]
    )
    if not old:
        return 0
    Report.objects.filter(id__in=[pk for pk, _ in old]).delete()
    _delete_files([path for _, path in old])
    return len(old)


def report_files_delete_on_commit(*, project_id: int) -> None:
    """Remove a project's report files once its deletion is committed (rows cascade)."""
    paths = list(Report.objects.filter(project_id=project_id).values_list("file_path", flat=True))
    transaction.on_commit(lambda: _delete_files(paths))
