"""Daily snapshots of open findings per project and severity (apps.dashboard.models).

`snapshots_take` writes one day's row for every project from the rollups (on PostgreSQL a
sum over a few FindingCount rows per project; on SQLite a grouped count of the findings),
so keeping the history costs nothing that grows with the findings. `snapshots_backfill`
reconstructs earlier days from the findings' own history (first seen, resolved and the
status events of the audit trail): the repair and upgrade path, run once by migration
0002 and by `manage.py dashboard_snapshot_backfill`.

Days are UTC days; a day's row holds the counts at its end (today's, the counts so far).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db.models import Count, Sum
from django.utils import timezone

from apps.dashboard.models import FindingCount, OpenFindingSnapshot
from apps.dashboard.rollups import rollups_maintained
from apps.findings.models import OPEN_STATUSES, Finding, Severity

SEVERITIES: tuple[str, ...] = tuple(Severity.values)
# Audit-trail events that move a finding between open and closed; their `to_value` is the
# status it moved to.
STATUS_EVENTS = ("status_changed", "auto_resolved", "reopened")


def utc_now() -> datetime:
    """The clock the snapshots and metrics read (tests freeze it here)."""
    return timezone.now()


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def open_counts_now(project_ids: Collection[int]) -> dict[int, dict[str, int]]:
    """{project id: {severity: open findings on the default branch}} as of now: the
    rollups on PostgreSQL, a grouped count of the findings elsewhere."""
    counts: dict[int, dict[str, int]] = {pk: dict.fromkeys(SEVERITIES, 0) for pk in project_ids}
    rows: list[dict[str, Any]]
    if rollups_maintained():
        rows = list(
            FindingCount.objects.filter(
                project_id__in=list(project_ids),
                status__in=OPEN_STATUSES,
                on_default_branch=True,
            )
            .values("project_id", "severity")
            .annotate(n=Sum("count"))
            .order_by()
        )
    else:
        rows = list(
            Finding.objects.filter(
                project_id__in=list(project_ids), status__in=OPEN_STATUSES, on_default_branch=True
            )
            .values("project_id", "severity")
            .annotate(n=Count("id"))
            .order_by()
        )
    for row in rows:
        if row["severity"] in counts[row["project_id"]]:
            counts[row["project_id"]][row["severity"]] += int(row["n"])
    return counts


def snapshots_take(*, project_ids: Collection[int] | None = None) -> int:
    """Write (or rewrite) today's snapshot of every project (or of `project_ids`) from the
    current counts. Idempotent: the beat task calls it every few minutes, so the last write
    of a day is its end-of-day figure. Returns the rows written."""
    from apps.projects.models import Project

    if project_ids is None:
        project_ids = list(Project.objects.order_by("pk").values_list("pk", flat=True))
    moment = utc_now()
    day = utc_day(moment)
    rows = [
        OpenFindingSnapshot(project_id=pk, day=day, taken_at=moment, backfilled=False, **counts)
        for pk, counts in sorted(open_counts_now(project_ids).items())
    ]
    OpenFindingSnapshot.objects.bulk_create(
        rows,
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["project", "day"],
        update_fields=[*SEVERITIES, "taken_at", "backfilled"],
    )
    return len(rows)


@dataclass
class _Replay:
    """What the backfill knows about one finding."""

    project_id: int
    severity: str
    status: str
    opened_at: datetime | None
    closed_at: datetime | None  # resolved_at, or the last change for other closed statuses


def _open_intervals(
    finding: _Replay, events: list[tuple[datetime, str]]
) -> Iterator[tuple[date, date | None]]:
    """(first open day, first closed day or None) for each stretch a finding was open,
    replaying its status events from its first sighting."""
    if finding.opened_at is None:
        return
    opened: date | None = utc_day(finding.opened_at)
    for when, status in events:
        is_open = status in OPEN_STATUSES
        if is_open and opened is None:
            opened = utc_day(when)
        elif not is_open and opened is not None:
            yield opened, utc_day(when)
            opened = None
    if opened is not None:
        if finding.status in OPEN_STATUSES:
            yield opened, None
        else:  # closed without an event (history older than the audit trail)
            closed = finding.closed_at or finding.opened_at
            yield opened, max(opened, utc_day(closed))


def snapshots_backfill(
    *,
    since: date | None = None,
    until: date | None = None,
    project_ids: Collection[int] | None = None,
    overwrite: bool = False,
    models: dict[str, Any] | None = None,
) -> int:
    """Reconstruct each project's open findings per severity for every day from `since`
    (default: its first sighting) to `until` (default: today) from the findings' first
    seen and resolved times and their status events; a finding counts at its current
    severity. Rows already taken live are kept unless `overwrite`. One pass over the
    findings and their status events, project by project. `models` lets a migration pass
    its historical models. Returns the rows written."""
    finding_model = (models or {}).get("Finding", Finding)
    event_model = (models or {}).get("FindingEvent")
    snapshot_model = (models or {}).get("OpenFindingSnapshot", OpenFindingSnapshot)
    project_model = (models or {}).get("Project")
    if event_model is None:
        from apps.findings.models import FindingEvent

        event_model = FindingEvent
    if project_model is None:
        from apps.projects.models import Project

        project_model = Project
    until = until or utc_day(utc_now())
    projects = project_model.objects.order_by("pk")
    if project_ids is not None:
        projects = projects.filter(pk__in=list(project_ids))
    written = 0
    moment = utc_now()
    for project_id in projects.values_list("pk", flat=True).iterator():
        deltas: dict[date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SEVERITIES, 0))
        findings = (
            finding_model.objects.filter(project_id=project_id, on_default_branch=True)
            .order_by("pk")
            .values_list(
                "pk",
                "severity",
                "status",
                "first_seen_at",
                "created_at",
                "resolved_at",
                "updated_at",
            )
        )
        events_by_finding: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
        event_rows = (
            event_model.objects.filter(
                finding__project_id=project_id,
                finding__on_default_branch=True,
                event_type__in=STATUS_EVENTS,
            )
            .order_by("finding_id", "created_at", "pk")
            .values_list("finding_id", "created_at", "to_value")
        )
        for finding_id, created_at, to_value in event_rows.iterator():
            events_by_finding[finding_id].append((created_at, to_value))
        first_day: date | None = None
        for pk, severity, status, first_seen, created, resolved, updated in findings.iterator():
            replay = _Replay(
                project_id=project_id,
                severity=severity if severity in SEVERITIES else Severity.UNKNOWN,
                status=status,
                opened_at=first_seen or created,
                closed_at=resolved or updated,
            )
            for opened, closed in _open_intervals(replay, events_by_finding.pop(pk, [])):
                deltas[opened][replay.severity] += 1
                if closed is not None:
                    deltas[closed][replay.severity] -= 1
                first_day = opened if first_day is None else min(first_day, opened)
        start = since or first_day
        if start is None or start > until:
            continue
        running = dict.fromkeys(SEVERITIES, 0)
        for day in sorted(d for d in deltas if d < start):
            for severity, n in deltas[day].items():
                running[severity] += n
        rows = []
        day = start
        while day <= until:
            for severity, n in deltas.get(day, {}).items():
                running[severity] += n
            rows.append(
                snapshot_model(
                    project_id=project_id, day=day, taken_at=moment, backfilled=True, **running
                )
            )
            day += timedelta(days=1)
        if overwrite:
            snapshot_model.objects.bulk_create(
                rows,
                batch_size=1000,
                update_conflicts=True,
                unique_fields=["project", "day"],
                update_fields=[*SEVERITIES, "taken_at", "backfilled"],
            )
        else:
            snapshot_model.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
        written += len(rows)
    return written
