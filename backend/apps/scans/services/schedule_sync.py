"""The hook that keeps a configuration's Celery beat entry in line with its schedule."""

from __future__ import annotations

from apps.scans.models import ScanConfiguration


def scan_configuration_schedule_sync(
    *, configuration: ScanConfiguration, removed: bool = False
) -> None:
    """Make the beat schedule match `configuration`'s schedule fields.

    Called by the configuration services inside their transaction after every create, update
    and clone, and (with `removed=True`) just before a configuration is deleted, so the
    schedule can never drift from what the API shows.

    Deliberately a no-op for now: issue 3 fills it in, creating, updating, disabling or
    deleting the django-celery-beat `PeriodicTask` (kept in `configuration.periodic_task`)
    for "once" and "cron" schedules with the configuration's timezone, and removing it for
    manual, disabled or removed configurations. Until then no scan starts on a schedule.
    """
    return None
