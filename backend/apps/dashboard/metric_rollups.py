# ruff: noqa: S608 - the SQL is built from this module's constants only; values are parameters
"""The metrics' rollups (apps.dashboard.models): per-project rows the worker rewrites when a
project's findings changed, so that /metrics/ sums a few rows per project (PostgreSQL).

Why the worker and not triggers like FindingCount: the figures need the project's SLA (a
due day per finding), every fix duration (an exact median) and per-file counts; keeping
those in ingest's transaction would make every import pay for them. Instead:

- a tiny statement-level trigger (migration 0003) bumps the project's generation in
  MetricsRollupGeneration on every write to findings_finding, whatever the write path;
- ingest, scan finalisation, triage and SLA changes call `metrics_rollups_schedule` once
  committed, which queues `dashboard.metrics_rollups_refresh` for the project (debounced
  through the cache: at most one queued per project);
- the task recomputes the project's rows in one REPEATABLE READ transaction (one consistent
  snapshot, one INSERT ... SELECT per table) and records the generation and time it read;
- beat runs `metrics_rollups_refresh_dirty` every few minutes: any project whose generation
  moved past its recorded one (a raw SQL write, a lost task) is recomputed.

The response's `as_of` is the oldest computed_at of the projects it sums: the figures count
every change committed before it. `metrics_rollups_rebuild` rewrites every project with one
INSERT ... SELECT per table (migration 0003, `manage.py dashboard_rollup_rebuild`).
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from datetime import datetime

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Min, Sum

from apps.dashboard.models import MetricsRollupState
from apps.dashboard.rollups import rollups_maintained
from apps.findings.models import OPEN_STATUSES, FindingStatus
from apps.findings.sla import SLA_DEFAULT_DAYS, SLA_FIELDS

logger = logging.getLogger(__name__)

# pg advisory lock keys: a rebuild of every project holds the first exclusively, a
# project's recompute holds it shared and its own (second key, project id) exclusively.
_LOCK_ALL = 0x5EC0_0001
_LOCK_PROJECT = 0x5EC0_0002
QUEUED_KEY = "dashboard:metrics-rollup-queued:{project_id}"
# A queued flag older than this is forgotten (its task was lost); beat catches up anyway.
QUEUED_TTL = 120
REFRESH_COUNTDOWN = 2  # seconds: the writes of one burst (a scan's tools) share one run
TABLES = (
    "dashboard_openfindinggroup",
    "dashboard_openfindingday",
    "dashboard_fixedfindingday",
    "dashboard_newfindingday",
)


def _quoted(values: Collection[str]) -> str:
    return ", ".join("'" + str(value).replace("'", "''") + "'" for value in values)


OPEN = f"f.on_default_branch AND f.status IN ({_quoted(OPEN_STATUSES)})"
FIXED = (
    f"f.on_default_branch AND f.status IN "
    f"({_quoted((FindingStatus.RESOLVED, FindingStatus.AUTO_RESOLVED))}) "
    "AND f.resolved_at IS NOT NULL"
)
FIRST_DAY = "(f.first_seen_at AT TIME ZONE 'UTC')::date"
RESOLVED_DAY = "(f.resolved_at AT TIME ZONE 'UTC')::date"


def _sla_days_sql() -> str:
    """Days to fix of a finding's severity in its project (apps.findings.sla): the project's
    ProjectSla (alias s, left-joined) where it has one, else SLA_DEFAULT_DAYS; null: none."""
    whens = []
    for severity, field in SLA_FIELDS.items():
        default = SLA_DEFAULT_DAYS[severity]
        fallback = "NULL" if default is None else str(int(default))
        whens.append(
            f"WHEN '{severity}' THEN "
            f"CASE WHEN s.project_id IS NULL THEN {fallback} ELSE s.{field} END"
        )
    return f"CASE f.severity {' '.join(whens)} ELSE NULL END"


DUE_DAY = f"COALESCE(f.due_date, {FIRST_DAY} + {_sla_days_sql()})"
WITH_SLA = "findings_finding f LEFT JOIN findings_projectsla s ON s.project_id = f.project_id"

# One statement per table; {scope} is "" (every project) or a filter on one project.
RECOMPUTE = (
    "INSERT INTO dashboard_openfindinggroup (project_id, kind, key, open_count) "
    "SELECT f.project_id, k.kind, k.key, count(*) FROM findings_finding f "
    "CROSS JOIN LATERAL (VALUES ('rule', NULLIF(f.rule_id, '')), ('cwe', f.cwe::text), "
    "('file', NULLIF(f.file_path, '')), ('tool', COALESCE(f.tool_id::text, ''))) AS k(kind, key) "
    f"WHERE {OPEN} AND k.key IS NOT NULL {{scope}} GROUP BY 1, 2, 3",
    "INSERT INTO dashboard_openfindingday "
    "(project_id, severity, first_seen_day, due_day, open_count) "
    f"SELECT f.project_id, f.severity, {FIRST_DAY}, {DUE_DAY}, count(*) FROM {WITH_SLA} "
    f"WHERE {OPEN} {{scope}} GROUP BY 1, 2, 3, 4",
    "INSERT INTO dashboard_fixedfindingday (project_id, severity, resolved_day, fixed_count, "
    "fix_seconds_sum, fix_seconds, due_count, on_time_count) "
    "SELECT project_id, severity, resolved_day, count(seconds), COALESCE(sum(seconds), 0), "
    "COALESCE(array_agg(round(seconds)::integer ORDER BY seconds) "
    "FILTER (WHERE seconds IS NOT NULL), '{{}}'::integer[]), "
    "count(due_day), count(*) FILTER (WHERE resolved_day <= due_day) FROM ("
    f"SELECT f.project_id, f.severity, {RESOLVED_DAY} AS resolved_day, {DUE_DAY} AS due_day, "
    "EXTRACT(EPOCH FROM (f.resolved_at - f.first_seen_at))::float8 AS seconds "
    f"FROM {WITH_SLA} WHERE {FIXED} {{scope}}) fixed GROUP BY 1, 2, 3",
    "INSERT INTO dashboard_newfindingday (project_id, tool_id, first_seen_day, new_count) "
    f"SELECT f.project_id, f.tool_id, {FIRST_DAY}, count(*) FROM findings_finding f "
    "WHERE f.on_default_branch AND f.first_seen_at IS NOT NULL {scope} GROUP BY 1, 2, 3",
)


@contextmanager
def _advisory(*keys: int, shared: bool = False) -> Iterator[None]:
    """A session-level advisory lock, taken before the snapshot's transaction begins."""
    suffix = "_shared" if shared else ""
    placeholders = ", ".join(["%s"] * len(keys))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_advisory_lock{suffix}({placeholders})", list(keys))
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT pg_advisory_unlock{suffix}({placeholders})", list(keys))


def _snapshot_transaction(cursor: object) -> None:
    """Read one consistent snapshot (REPEATABLE READ) when this is the outermost transaction;
    inside a caller's (a test's) transaction nothing else writes meanwhile."""
    if len(connection.savepoint_ids) == 0 and not connection.needs_rollback:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")  # type: ignore[attr-defined]


def metrics_rollups_recompute(*, project_id: int) -> datetime:
    """Rewrite one project's metric rollups from its findings in one snapshot and record the
    generation and time read. Returns that time (the figures' `as_of`)."""
    if not rollups_maintained():
        raise RuntimeError("The metrics' rollups exist on PostgreSQL only.")
    with (
        _advisory(_LOCK_ALL, shared=True),
        _advisory(_LOCK_PROJECT, project_id),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        _snapshot_transaction(cursor)
        cursor.execute(
            "SELECT now(), COALESCE((SELECT generation FROM dashboard_metricsrollupgeneration "
            "WHERE project_id = %s), 0)",
            [project_id],
        )
        computed_at, generation = cursor.fetchone()
        for table in TABLES:
            cursor.execute(f"DELETE FROM {table} WHERE project_id = %s", [project_id])
        for statement in RECOMPUTE:
            cursor.execute(statement.format(scope="AND f.project_id = %s"), [project_id])
        cursor.execute(
            "INSERT INTO dashboard_metricsrollupstate (project_id, generation, computed_at, stamp) "
            "VALUES (%s, %s, %s, (random() * 9e18)::bigint) ON CONFLICT (project_id) DO UPDATE "
            "SET generation = EXCLUDED.generation, computed_at = EXCLUDED.computed_at, "
            "stamp = EXCLUDED.stamp",
            [project_id, generation, computed_at],
        )
    return computed_at


REBUILD_STATE = (
    "INSERT INTO dashboard_metricsrollupstate (project_id, generation, computed_at, stamp) "
    "SELECT p.id, COALESCE(g.generation, 0), now(), (random() * 9e18)::bigint "
    "FROM projects_project p "
    "LEFT JOIN dashboard_metricsrollupgeneration g ON g.project_id = p.id"
)


def metrics_rollups_rebuild_sql(cursor: object) -> list[int]:
    """Every project's rollups from scratch: one INSERT ... SELECT per table (the migration
    runs this too). Returns the rows written per table."""
    written = []
    for table in (*TABLES, "dashboard_metricsrollupstate"):
        cursor.execute(f"DELETE FROM {table}")  # type: ignore[attr-defined]
    for statement in (*(s.format(scope="") for s in RECOMPUTE), REBUILD_STATE):
        cursor.execute(statement)  # type: ignore[attr-defined]
        written.append(cursor.rowcount)  # type: ignore[attr-defined]
    cursor.execute(f"ANALYZE {', '.join(TABLES)}")  # type: ignore[attr-defined]
    return written


def metrics_rollups_rebuild() -> list[int]:
    """Rewrite every project's metric rollups in one snapshot (the repair command)."""
    if not rollups_maintained():
        raise RuntimeError("The metrics' rollups exist on PostgreSQL only.")
    with _advisory(_LOCK_ALL), transaction.atomic(), connection.cursor() as cursor:
        _snapshot_transaction(cursor)
        return metrics_rollups_rebuild_sql(cursor)


def metrics_rollups_schedule(*, project_ids: Collection[int]) -> None:
    """Once the caller's transaction commits, queue a recompute of each project unless one is
    already queued (PostgreSQL; elsewhere the metrics read the findings directly)."""
    if not rollups_maintained():
        return
    ids = sorted({int(pk) for pk in project_ids})
    if ids:
        transaction.on_commit(lambda: _enqueue(ids))


def _enqueue(project_ids: list[int]) -> None:
    from apps.dashboard.tasks import metrics_rollups_refresh

    for project_id in project_ids:
        if cache.add(QUEUED_KEY.format(project_id=project_id), 1, timeout=QUEUED_TTL):
            try:
                metrics_rollups_refresh.apply_async(args=[project_id], countdown=REFRESH_COUNTDOWN)
            except Exception:  # the broker is down: beat's sweep recomputes it later
                cache.delete(QUEUED_KEY.format(project_id=project_id))
                logger.warning("Could not queue the metrics rollup of project %s", project_id)


def metrics_rollups_refresh(*, project_id: int) -> datetime:
    """The task's body: forget the queued flag first (a write from now on queues again),
    then recompute."""
    cache.delete(QUEUED_KEY.format(project_id=project_id))
    return metrics_rollups_recompute(project_id=project_id)


def metrics_rollups_dirty() -> list[int]:
    """Projects whose findings changed since their rollups were computed (or never were)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT g.project_id FROM dashboard_metricsrollupgeneration g "
            "LEFT JOIN dashboard_metricsrollupstate s ON s.project_id = g.project_id "
            "WHERE s.project_id IS NULL OR g.generation > s.generation ORDER BY 1"
        )
        return [row[0] for row in cursor.fetchall()]


def metrics_rollups_refresh_dirty() -> int:
    """Beat's safety net: recompute every dirty project. Returns how many."""
    if not rollups_maintained():
        return 0
    dirty = metrics_rollups_dirty()
    for project_id in dirty:
        metrics_rollups_recompute(project_id=project_id)
    return len(dirty)


def metrics_rollups_version(project_ids: Collection[int]) -> tuple[datetime | None, str]:
    """When the oldest of these projects' rollups was computed (None: none ever was), and a
    version of their rows that changes with any recompute of any of them (its stamp)."""
    state = MetricsRollupState.objects.filter(project_id__in=list(project_ids)).aggregate(
        oldest=Min("computed_at"), n=Count("project_id"), stamps=Sum("stamp")
    )
    return state["oldest"], f"{state['n']}:{state['stamps']}"
