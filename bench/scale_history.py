"""bench/scale.py's history simulation: one project re-scanned daily with a little churn.

Day 0 ingests `count` findings; each later day scans the same set again through the same path
as a real scan (ingest, tool result finished, scan finalised, which auto-resolves what is
gone), with `churn` of it changed: a third gone, a third new, a third moved a few lines (the
same findings at another place). Rows and bytes per table are read by table name, so the
figures stay comparable whatever model stores the sightings.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from scale_data import (
    Group,
    bench_users,
    database_size,
    project_with_targets,
    scan_run_synthetic,
    table_sizes,
)

from apps.tools.models import ToolDefinition
from apps.tools.sync import tools_sync

TOOL, RULES = "semgrep", 150
LINES_MOVED = 3
REPORT_EVERY = 30


def history(*, days: int, count: int, churn: float, log: Callable[[str], None]) -> dict[str, Any]:
    tools_sync()
    tool = ToolDefinition.objects.get(slug=TOOL)
    project, code, _web = project_with_targets(1, bench_users(), "History")
    before, size_before = table_sizes(), database_size()
    alive = list(range(count))
    shifts: dict[int, int] = {}
    next_identity = count
    changed_per_day = max(1, round(count * churn / 3)) if days else 0
    rng = random.Random(12)  # noqa: S311 - test data, not security
    seconds: list[float] = []
    after_first: dict[str, tuple[int, int, int, int]] = {}
    size_after_first = 0
    for day in range(days + 1):
        if day:
            gone = set(rng.sample(range(len(alive)), changed_per_day))
            alive = [identity for index, identity in enumerate(alive) if index not in gone]
            alive += range(next_identity, next_identity + changed_per_day)
            next_identity += changed_per_day
            for identity in rng.sample(alive, changed_per_day):
                shifts[identity] = shifts.get(identity, 0) + LINES_MOVED
        today = list(alive)
        group = Group(
            tool=tool,
            target=code,
            kind="code",
            rules=RULES,
            project_number=1,
            identities=partial(iter, today),
            line_shift=lambda identity: shifts.get(identity, 0),
        )
        started = time.perf_counter()
        scan_run_synthetic(project=project, groups=[group])
        seconds.append(time.perf_counter() - started)
        if day == 0:
            after_first, size_after_first = table_sizes(), database_size()
        if day in (0, 1, days) or day % REPORT_EVERY == 0:
            log(f"  day {day:>3}: {seconds[-1]:6.2f} s ({len(today):,} findings reported)")
    return {
        "days": days,
        "count": count,
        "changed_per_day": changed_per_day,
        "seconds": seconds,
        "before": before,
        "after_first": after_first,
        "after": table_sizes(),
        "size_before": size_before,
        "size_after_first": size_after_first,
        "size_after": database_size(),
    }
