"""Schedule arithmetic for scan configurations: cron and timezone checks, the next run time.

Pure functions with no database access, shared by the services (validation) and the
serializers (`next_run_at`).
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from croniter import CroniterError, croniter  # type: ignore[import-untyped]
from django.utils import timezone

from apps.scans.models import ScanConfiguration, ScheduleType

CRON_FIELD_COUNT = 5


def cron_expression_error(expression: str) -> str | None:
    """Why `expression` is not a usable 5-field cron expression, or None when it is.

    Only the classic five fields (minute hour day-of-month month day-of-week) are accepted:
    they are what a Celery beat crontab can express, so what validates here can be scheduled.
    """
    fields = expression.split()
    if len(fields) != CRON_FIELD_COUNT:
        return f"Use five fields: minute hour day-of-month month day-of-week (got {len(fields)})."
    if not croniter.is_valid(" ".join(fields)):
        return "This is not a valid cron expression."
    try:
        croniter(" ".join(fields), timezone.now()).get_next(datetime)
    except CroniterError:  # e.g. "0 0 31 2 *": valid fields that never match a date
        return "This cron expression never fires."
    return None


def timezone_error(name: str) -> str | None:
    """Why `name` is not an IANA timezone name (e.g. "Europe/Berlin"), or None when it is."""
    if not name:
        return "A timezone is required."
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return f"Unknown timezone {name!r}."
    return None


def cron_next_fire(*, expression: str, tz_name: str, after: datetime) -> datetime:
    """The first time after `after` that `expression` fires, read in the timezone `tz_name`.

    The result is aware and expressed in that timezone (so "0 9 * * *" in Europe/Berlin is
    09:00 local, +01:00 in winter and +02:00 in summer).
    """
    tz = zoneinfo.ZoneInfo(tz_name)
    start = after.astimezone(tz)
    fire: datetime = croniter(" ".join(expression.split()), start).get_next(datetime)
    return fire.astimezone(tz)


def configuration_next_run_at(
    *, configuration: ScanConfiguration, now: datetime | None = None
) -> datetime | None:
    """When the schedule will next start a scan: None for manual or disabled schedules, for a
    one-off time already past, and for a stored schedule that no longer parses."""
    if not configuration.schedule_enabled:
        return None
    now = now or timezone.now()
    if configuration.schedule_type == ScheduleType.ONCE:
        once_at = configuration.schedule_once_at
        if once_at is None or once_at <= now or timezone_error(configuration.schedule_timezone):
            return once_at if once_at is not None and once_at > now else None
        return once_at.astimezone(zoneinfo.ZoneInfo(configuration.schedule_timezone))
    if configuration.schedule_type == ScheduleType.CRON:
        if cron_expression_error(configuration.schedule_cron) or timezone_error(
            configuration.schedule_timezone
        ):
            return None
        try:
            return cron_next_fire(
                expression=configuration.schedule_cron,
                tz_name=configuration.schedule_timezone,
                after=now,
            )
        except CroniterError:
            return None
    return None
