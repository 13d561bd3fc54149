"""Service levels: days to fix per severity and project, and the due dates they set."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from apps.findings.models import OPEN_STATUSES, ProjectSla, Severity

# Days to fix by severity when a project has not set its own: a common industry policy
# (critical within a week, high within a month, medium within a quarter, low within half a
# year). Informational and unknown findings get no due date.
SLA_DEFAULT_DAYS: dict[str, int | None] = {
    Severity.CRITICAL: 7,
    Severity.HIGH: 30,
    Severity.MEDIUM: 90,
    Severity.LOW: 180,
}
SLA_FIELDS = {severity: f"{severity}_days" for severity in SLA_DEFAULT_DAYS}


def sla_days_for_project(*, project_id: int) -> dict[str, int | None]:
    """{severity: days to fix or None} of the project (the defaults if it set none)."""
    sla = ProjectSla.objects.filter(project_id=project_id).first()
    if sla is None:
        return dict(SLA_DEFAULT_DAYS)
    return {severity: getattr(sla, field) for severity, field in SLA_FIELDS.items()}


@transaction.atomic
def project_sla_update(*, project: Any, days: dict[str, int | None]) -> dict[str, int | None]:
    """Set the project's days to fix for the severities in `days` (None: no due date). Due
    dates already set stay: they were promised when the findings were first seen."""
    sla, _ = ProjectSla.objects.select_for_update().get_or_create(project=project)
    for severity, value in days.items():
        setattr(sla, SLA_FIELDS[severity], value)
    sla.save()
    # Due days follow the SLA: the metrics' rollups are recomputed with it.
    from apps.dashboard.metric_rollups import metrics_rollups_schedule

    metrics_rollups_schedule(project_ids=[project.pk])
    return sla_days_for_project(project_id=project.pk)


def sla_due_dates(*, project_id: int, first_seen_at: Any) -> dict[str, date]:
    """{severity: due date} of findings first seen at `first_seen_at` in the project: what
    ingest writes into each new finding's row as it inserts it (never a second write, which
    would use up the room a re-scan's in-place updates need)."""
    first_day = timezone.localdate(first_seen_at)
    return {
        severity: first_day + timedelta(days=days)
        for severity, days in sla_days_for_project(project_id=project_id).items()
        if days is not None
    }


def overdue_q(today: date | None = None) -> Q:
    """Open findings whose due date has passed."""
    return Q(due_date__lt=today or timezone.localdate(), status__in=OPEN_STATUSES)
