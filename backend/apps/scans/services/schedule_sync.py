"""Keep a configuration's Celery beat entry in line with its schedule.

beat's DatabaseScheduler reads django-celery-beat's PeriodicTask rows, so the schedule lives in
the database and changes take effect without restarting beat. A "once" schedule becomes a
one-off clocked task, a cron schedule a crontab in the configuration's timezone; a manual,
disabled or deleted configuration has no task.
"""

from __future__ import annotations

import json
import zoneinfo

from django.utils import timezone
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, PeriodicTask

from apps.scans.models import ScanConfiguration, ScheduleType

SCHEDULED_TASK = "scans.scan_scheduled"


def periodic_task_name(configuration: ScanConfiguration) -> str:
    return f"scan-configuration-{configuration.pk}"


def _drop(configuration: ScanConfiguration, *, removed: bool) -> None:
    task_id = configuration.periodic_task_id
    if task_id is None:
        PeriodicTask.objects.filter(name=periodic_task_name(configuration)).delete()
        return
    if not removed:
        configuration.periodic_task = None
        configuration.save(update_fields=["periodic_task"])
    PeriodicTask.objects.filter(pk=task_id).delete()


def scan_configuration_schedule_sync(
    *, configuration: ScanConfiguration, removed: bool = False
) -> None:
    """Create, update or delete the PeriodicTask that starts scans of `configuration`.

    Called by the configuration services inside their transaction after every create, update
    and clone, and with `removed=True` just before a configuration is deleted.
    """
    schedule_type = configuration.schedule_type
    active = (
        not removed
        and configuration.schedule_enabled
        and schedule_type
        in (
            ScheduleType.ONCE,
            ScheduleType.CRON,
        )
    )
    if schedule_type == ScheduleType.ONCE and active:
        once_at = configuration.schedule_once_at
        active = once_at is not None and once_at > timezone.now()
    if not active:
        _drop(configuration, removed=removed)
        return

    if schedule_type == ScheduleType.CRON:
        minute, hour, day_of_month, month, day_of_week = configuration.schedule_cron.split()
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year=month,
            day_of_week=day_of_week,
            timezone=zoneinfo.ZoneInfo(configuration.schedule_timezone),
        )
        schedule = {"crontab": crontab, "clocked": None, "one_off": False}
    else:
        clocked, _ = ClockedSchedule.objects.get_or_create(
            clocked_time=configuration.schedule_once_at
        )
        schedule = {"clocked": clocked, "crontab": None, "one_off": True}

    task, _ = PeriodicTask.objects.update_or_create(
        name=periodic_task_name(configuration),
        defaults={
            "task": SCHEDULED_TASK,
            "args": json.dumps([configuration.pk]),
            "kwargs": "{}",
            "queue": "default",
            "enabled": True,
            "interval": None,
            "solar": None,
            "description": f"Scheduled scans of '{configuration.name}' "
            f"(project {configuration.project_id})",
            **schedule,
        },
    )
    if configuration.periodic_task_id != task.pk:
        configuration.periodic_task = task
        configuration.save(update_fields=["periodic_task"])
