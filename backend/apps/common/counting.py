"""Totals for big lists: exact while cheap, the planner's estimate beyond.

Counting a million matching rows costs more than reading a page of them, so a list counts at
most `limit` + 1 rows; past that, PostgreSQL's estimate for the same filtered query stands in.
When the estimate alone is far past the limit (SKIP_COUNT_FACTOR times), even the bounded count
is skipped: it would read `limit` + 1 rows only to be replaced by the estimate. SQLite (small
installs) always counts exactly.
"""

from __future__ import annotations

import json

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import QuerySet

EXACT_COUNT_LIMIT = 10_000
# An estimate this many times the limit is trusted without counting (planner estimates of the
# list's filters are off by a few times at worst, not tenfold).
SKIP_COUNT_FACTOR = 10


def bounded_count(queryset: QuerySet, limit: int | None = None) -> tuple[int, bool]:
    """(count, exact): exact when at most `limit` (EXACT_COUNT_LIMIT) rows match, or on
    SQLite; else the planner's row estimate, never less than `limit` + 1."""
    limit = EXACT_COUNT_LIMIT if limit is None else limit
    rows = queryset.order_by().values("pk")
    if connections[queryset.db].vendor != "postgresql":
        return rows.count(), True
    try:
        estimate = _planner_estimate(rows)
    except EmptyResultSet:  # a filter that can match nothing (no visible project)
        return 0, True
    if estimate > limit * SKIP_COUNT_FACTOR:
        return estimate, False
    count = rows[: limit + 1].count()
    if count <= limit:
        return count, True
    return max(limit + 1, estimate), False


def _planner_estimate(queryset: QuerySet) -> int:
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])
