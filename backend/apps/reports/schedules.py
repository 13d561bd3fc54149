"""Scheduled reports: weekly or monthly project reports e-mailed to chosen addresses.

The hourly beat task `reports.run_due` takes the enabled schedules whose `next_run_at` has
passed, row-locked (`skip_locked`, so two beats running at once share nothing), queues one
report each and moves `next_run_at` to the next period in the same transaction: a schedule
runs once per period however often beat fires. When the worker has made the report it is
e-mailed once (`Report.emailed_at`) with the file attached. Recipients are the schedule's
explicit addresses, so no user's notification preferences apply.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone

from apps.projects.models import Project
from apps.reports.models import Report, ReportFormat, ReportSchedule, ReportStatus
from apps.reports.rendering import absolute_path
from apps.reports.services import report_request

logger = logging.getLogger(__name__)

# Reports are made at this UTC hour of their day.
RUN_HOUR = 6
PERIOD_DAYS = {"weekly": 7, "monthly": 30}
MAX_ATTACHMENT_BYTES = 20 * 1024 * 1024


def next_run_after(*, frequency: str, weekday: int, day_of_month: int, after: datetime) -> datetime:
    """The first run time (RUN_HOUR UTC on the schedule's day) strictly after `after`."""
    day = after.astimezone(UTC).date()
    for _ in range(400):
        if (frequency == "weekly" and day.weekday() == weekday) or (
            frequency == "monthly" and day.day == day_of_month
        ):
            candidate = datetime.combine(day, time(RUN_HOUR), tzinfo=UTC)
            if candidate > after:
                return candidate
        day += timedelta(days=1)
    raise ValueError("no run day within 400 days")


def _next_run(schedule: ReportSchedule, after: datetime) -> datetime:
    return next_run_after(
        frequency=schedule.frequency,
        weekday=schedule.weekday,
        day_of_month=schedule.day_of_month,
        after=after,
    )


def report_schedule_create(*, project: Project, user: Any, **fields: Any) -> ReportSchedule:
    schedule = ReportSchedule(project=project, created_by=user, **fields)
    schedule.next_run_at = _next_run(schedule, timezone.now())
    schedule.save()
    return schedule


def report_schedule_update(*, schedule: ReportSchedule, **fields: Any) -> ReportSchedule:
    for name, value in fields.items():
        setattr(schedule, name, value)
    schedule.next_run_at = _next_run(schedule, timezone.now())
    schedule.save()
    return schedule


def report_schedule_delete(*, schedule: ReportSchedule) -> None:
    schedule.delete()


def report_schedules_run_due(*, now: datetime | None = None) -> int:
    """Queue the report of every due schedule and move it to its next period; returns how
    many were queued."""
    now = now or timezone.now()
    queued = 0
    with transaction.atomic():
        due = (
            ReportSchedule.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("project")
            .filter(enabled=True, next_run_at__lte=now)
            .order_by("next_run_at", "id")
        )
        for schedule in due:
            end = now.astimezone(UTC).date()
            start = end - timedelta(days=PERIOD_DAYS[schedule.frequency] - 1)
            report_request(
                project=schedule.project,
                user=None,
                format=schedule.format,
                period_start=start,
                period_end=end,
                schedule=schedule,
            )
            schedule.last_run_at = now
            schedule.next_run_at = _next_run(schedule, now)
            schedule.save(update_fields=["last_run_at", "next_run_at", "updated_at"])
            queued += 1
    return queued


def report_email(*, report: Report) -> bool:
    """E-mail a scheduled report's file to its schedule's recipients, once. Returns whether
    a message was sent."""
    with transaction.atomic():
        locked = (
            Report.objects.select_for_update(of=("self",))
            .select_related("schedule", "project")
            .filter(pk=report.pk, status=ReportStatus.READY, emailed_at__isnull=True)
            .first()
        )
        if locked is None or locked.schedule is None or not locked.schedule.recipients:
            return False
        subject = f"[SecuLite] {locked.schedule.get_frequency_display()} security report: " + (
            locked.project.name
        )
        body = (
            f"The {locked.schedule.frequency} security report of {locked.project.name} "
            f"({locked.period_start:%Y-%m-%d} to {locked.period_end:%Y-%m-%d}) is attached.\n\n"
            "Secret values are masked in it. You receive it because this address is on the "
            "project's report schedule; a project member can remove it there.\n"
        )
        message = EmailMessage(
            subject, body, settings.DEFAULT_FROM_EMAIL, bcc=list(locked.schedule.recipients)
        )
        path = absolute_path(locked.file_path)
        name = f"seculite-report-{locked.project_id}-{locked.period_end:%Y%m%d}.{locked.format}"
        mimetype = "application/pdf" if locked.format == ReportFormat.PDF else "text/html"
        if path.stat().st_size <= MAX_ATTACHMENT_BYTES:
            message.attach(name, path.read_bytes(), mimetype)
        else:
            message.body += "\nThe report is too large to attach; download it in SecuLite.\n"
        locked.emailed_at = timezone.now()
        locked.save(update_fields=["emailed_at"])
        # Sent inside the transaction: if sending fails the mark rolls back, so a report is
        # never marked e-mailed without a message.
        try:
            message.send()
        except Exception:
            logger.exception("report %s could not be e-mailed", locked.pk)
            transaction.set_rollback(True)
            return False
    return True
