"""Totals for big lists: exact while cheap, the planner's estimate beyond.

Counting a million matching rows costs more than reading a page of them, so a list counts at
most `limit` + 1 rows; past that, PostgreSQL's estimate for the same filtered query stands in.
SQLite (small installs) always counts exactly.
"""

from __future__ import annotations

import json

from django.db import connections
from django.db.models import QuerySet

EXACT_COUNT_LIMIT = 10_000


def bounded_count(queryset: QuerySet, limit: int | None = None) -> tuple[int, bool]:
    """(count, exact): exact when at most `limit` (EXACT_COUNT_LIMIT) rows match, or on
    SQLite; else the planner's row estimate, never less than `limit` + 1."""
    limit = EXACT_COUNT_LIMIT if limit is None else limit
    rows = queryset.order_by().values("pk")
    if connections[queryset.db].vendor != "postgresql":
        return rows.count(), True
    count = rows[: limit + 1].count()
    if count <= limit:
        return count, True
    return max(limit + 1, _planner_estimate(rows)), False


def _planner_estimate(queryset: QuerySet) -> int:
    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])
