"""Rollups of findings the dashboard reads instead of scanning findings (PostgreSQL only).

Both tables are kept exact by statement-level triggers on findings_finding (see
apps.dashboard.rollups): every write path, including raw SQL, updates them in the same
transaction. On SQLite the tables stay empty and the dashboard counts findings directly.
The project is a plain indexed id, not a constraint: the rows follow the project's findings
(a deleted project's findings take their counts with them), never the project row.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models


def _project_id() -> models.ForeignKey:
    """The project a rollup row counts for (no constraint; the unique index leads with it)."""
    return models.ForeignKey(
        "projects.Project",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )


class FindingCount(models.Model):
    """How many findings of a project have this severity, status and branch flag."""

    project = _project_id()
    severity = models.CharField(max_length=16)
    status = models.CharField(max_length=16)
    on_default_branch = models.BooleanField()
    count = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "severity", "status", "on_default_branch"],
                name="uniq_dashboard_finding_count",
            )
        ]

    def __str__(self) -> str:
        return f"project {self.project_id}: {self.count} {self.severity} {self.status}"


class FindingTrendBucket(models.Model):
    """Default-branch findings of a project first seen / resolved in one 15-minute UTC bucket.

    Every timezone's offset is a multiple of 15 minutes, so the buckets add up to exact days
    in any caller's timezone (including +05:30 or +05:45).
    """

    project = _project_id()
    bucket = models.DateTimeField()
    new_count = models.BigIntegerField()
    resolved_count = models.BigIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "bucket"], name="uniq_dashboard_trend_bucket"
            )
        ]

    def __str__(self) -> str:
        return (
            f"project {self.project_id} at {self.bucket}: +{self.new_count} -{self.resolved_count}"
        )


class OpenFindingSnapshot(models.Model):
    """A project's open findings on the default branch by severity at the end of one UTC day.

    Written from the rollups above (no read of the findings) by the `dashboard.snapshots_take`
    beat task, which rewrites today's row until the day is over; `manage.py
    dashboard_snapshot_backfill` reconstructs earlier days from the findings' history.
    """

    project = models.ForeignKey(
        "projects.Project", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()
    critical = models.BigIntegerField(default=0)
    high = models.BigIntegerField(default=0)
    medium = models.BigIntegerField(default=0)
    low = models.BigIntegerField(default=0)
    informational = models.BigIntegerField(default=0)
    unknown = models.BigIntegerField(default=0)
    # When the counts were read; a backfilled row says so.
    taken_at = models.DateTimeField()
    backfilled = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "day"], name="uniq_dashboard_snapshot_day")
        ]

    def __str__(self) -> str:
        return f"project {self.project_id} on {self.day}"


# The metrics' rollups (apps.dashboard.metric_rollups): per project, rewritten whole by the
# worker when the project's findings changed, so a request sums a few rows per project and
# never reads the findings. Exact as of MetricsRollupState.computed_at.


class OpenFindingGroup(models.Model):
    """Open default-branch findings of a project per rule, CWE, file or tool (the top lists
    and the per-tool open counts). `key` is the rule id, the CWE number, the path, or the
    tool's id ('' for findings without a tool)."""

    project = _project_id()
    kind = models.CharField(max_length=8)
    key = models.CharField(max_length=1024)
    open_count = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["project", "kind"], name="dashboard_opengroup_proj")]

    def __str__(self) -> str:
        return f"project {self.project_id}: {self.open_count} open in {self.kind} {self.key}"


class OpenFindingDay(models.Model):
    """Open default-branch findings of a project per severity, first UTC day seen and due day
    (its due date, or first day plus the project's days to fix; null: no due date): the age
    buckets and the open findings past due, for any `today`."""

    project = _project_id()
    severity = models.CharField(max_length=16)
    first_seen_day = models.DateField(null=True)
    due_day = models.DateField(null=True)
    open_count = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["project"], name="dashboard_openday_proj")]

    def __str__(self) -> str:
        return f"project {self.project_id}: {self.open_count} {self.severity} open"


class FixedFindingDay(models.Model):
    """Default-branch findings of a project fixed (resolved or auto-resolved) on one UTC day,
    per severity: for time to fix, the count, the sum and every duration in whole seconds
    (the exact median of any range); for the SLA, how many had a due day and how many were
    fixed by it."""

    project = _project_id()
    severity = models.CharField(max_length=16)
    resolved_day = models.DateField()
    fixed_count = models.BigIntegerField()
    fix_seconds_sum = models.FloatField()
    # PostgreSQL's integer[] (unnested fast); SQLite stores the column but never fills it.
    fix_seconds = ArrayField(models.IntegerField(), default=list)
    due_count = models.BigIntegerField()
    on_time_count = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["project", "resolved_day"], name="dashboard_fixedday_proj")]

    def __str__(self) -> str:
        return f"project {self.project_id}: {self.fixed_count} {self.severity} fixed"


class NewFindingDay(models.Model):
    """Default-branch findings of a project first seen on one UTC day, per tool."""

    project = _project_id()
    tool_id = models.BigIntegerField(null=True)
    first_seen_day = models.DateField()
    new_count = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["project", "first_seen_day"], name="dashboard_newday_proj")]

    def __str__(self) -> str:
        return f"project {self.project_id}: {self.new_count} new on {self.first_seen_day}"


class MetricsRollupGeneration(models.Model):
    """How many statements have changed a project's findings: bumped by triggers on
    findings_finding (PostgreSQL) in the writer's transaction, never written elsewhere."""

    project_id = models.BigIntegerField(primary_key=True)
    generation = models.BigIntegerField()

    def __str__(self) -> str:
        return f"project {self.project_id} at generation {self.generation}"


class MetricsRollupState(models.Model):
    """The generation and time a project's metric rollups were computed at (written only by
    the recompute): dirty while the generation above is ahead."""

    project_id = models.BigIntegerField(primary_key=True)
    generation = models.BigIntegerField()
    computed_at = models.DateTimeField()
    # A random number drawn by each recompute: the cache key of the figures read from these
    # rows changes with any project's recompute (apps.dashboard.metrics).
    stamp = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"project {self.project_id} computed at {self.computed_at}"
