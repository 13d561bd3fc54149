"""The dashboard's rollups (apps.dashboard.models): whether they are kept, and a rebuild.

On PostgreSQL, triggers created by migration 0001_rollups keep them exact on every write to
findings_finding. `rollups_rebuild` recomputes both tables from the findings: the repair
tool behind `manage.py dashboard_rollup_rebuild` (after restoring a partial dump, or if the
triggers were ever disabled). On SQLite there are no triggers and the dashboard counts
findings directly.
"""

from __future__ import annotations

from collections.abc import Collection

from django.db import connection, transaction
from django.db.models import QuerySet, Sum

from apps.dashboard.models import FindingCount

# 15-minute UTC buckets (as the triggers make them): every timezone's offset is a multiple
# of 15 minutes.
_REBUILD = (
    "LOCK TABLE findings_finding IN SHARE MODE",  # writers wait; readers do not
    "DELETE FROM dashboard_findingcount",
    "DELETE FROM dashboard_findingtrendbucket",
    "INSERT INTO dashboard_findingcount (project_id, severity, status, on_default_branch, count) "
    "SELECT project_id, severity, status, on_default_branch, count(*) FROM findings_finding "
    "GROUP BY 1, 2, 3, 4",
    "INSERT INTO dashboard_findingtrendbucket (project_id, bucket, new_count, resolved_count) "
    "SELECT project_id, bucket, sum(new_n), sum(resolved_n) FROM ("
    "SELECT project_id, date_bin('15 minutes', first_seen_at, '2000-01-01 00:00:00+00') AS bucket, "
    "1 AS new_n, 0 AS resolved_n FROM findings_finding "
    "WHERE on_default_branch AND first_seen_at IS NOT NULL "
    "UNION ALL SELECT project_id, date_bin('15 minutes', resolved_at, '2000-01-01 00:00:00+00'), "
    "0, 1 FROM findings_finding WHERE on_default_branch AND resolved_at IS NOT NULL"
    ") seen GROUP BY 1, 2",
)


def rollups_maintained() -> bool:
    """True where triggers keep the rollups (PostgreSQL); elsewhere, count findings."""
    return connection.vendor == "postgresql"


def rollup_finding_count(
    *,
    project_ids: QuerySet | Collection[int],
    severities: Collection[str] = (),
    statuses: Collection[str] = (),
    on_default_branch: bool | None = None,
) -> int:
    """How many findings of `project_ids` (ids or a subquery of them) have one of
    `severities` and one of `statuses` (any when empty) on the branch flag (either when
    None): a sum over a few rollup rows, exact, never a read of the findings."""
    rows = FindingCount.objects.filter(project_id__in=project_ids)
    if severities:
        rows = rows.filter(severity__in=sorted(severities))
    if statuses:
        rows = rows.filter(status__in=sorted(statuses))
    if on_default_branch is not None:
        rows = rows.filter(on_default_branch=on_default_branch)
    return int(rows.aggregate(total=Sum("count"))["total"] or 0)


def rollups_rebuild() -> tuple[int, int]:
    """Recompute both rollups from findings_finding in one transaction, with writes to
    findings held back meanwhile. Returns the rows written (counts, buckets)."""
    if not rollups_maintained():
        raise RuntimeError("The dashboard's rollups exist on PostgreSQL only.")
    written = []
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in _REBUILD:
            cursor.execute(statement)
            written.append(cursor.rowcount)
    return written[-2], written[-1]
