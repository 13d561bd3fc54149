"""The one place scan time limits come from, all derived from the tool timeouts.

A tool run is bounded four times, from the inside out:

1. the runner kills the tool after the configuration's `tool_timeout_seconds` (capped by
   `SECULITE_TOOL_TIMEOUT_MAX_SECONDS`);
2. its Celery task gets a soft time limit of that timeout plus the time preparation (git fetch,
   archive extraction) and ingestion may take, then a hard limit a minute later, so a task
   that hangs outside the tool is still ended and recorded as failed;
3. the Redis broker redelivers an unacknowledged task (its worker died) only after the hard
   limit of the longest allowed tool run, so a slow tool is never started twice;
4. the reaper ends a scan only past its deadline: every tool run of the scan may take its whole
   budget, in ceil(runs / worker processes) consecutive waves, plus a margin for queueing,
   fan-out and aggregation.

This module reads no models, so the settings can import it.
"""

from __future__ import annotations

import math
from typing import Any

# Target preparation before the tool starts: git init/remote/fetch/checkout each time out at
# 300 s; extraction of the largest allowed archive.
PREPARATION_SECONDS = 1200
# After the tool: the version probe (60 s), saving the raw output, parsing, storing findings.
INGEST_SECONDS = 600
# Between the soft limit (the task records its failure) and the hard kill of the worker child.
SOFT_TO_HARD_SECONDS = 60
# The broker waits this much past the longest hard limit before it redelivers.
VISIBILITY_MARGIN_SECONDS = 600
DEFAULT_TOOL_TIMEOUT_MAX_SECONDS = 4 * 3600
DEFAULT_TOOL_TIMEOUT_SECONDS = 1800
DEFAULT_SCAN_DEADLINE_MARGIN_SECONDS = 3600
MIN_TOOL_TIMEOUT_SECONDS = 30


def tool_task_time_limits(tool_timeout: int) -> tuple[int, int]:
    """(soft, hard) Celery time limits of one tool run's task, in seconds."""
    soft = int(tool_timeout) + PREPARATION_SECONDS + INGEST_SECONDS
    return soft, soft + SOFT_TO_HARD_SECONDS


def broker_visibility_timeout(tool_timeout_max: int) -> int:
    """Seconds before the broker redelivers an unacknowledged task: past any tool task."""
    return tool_task_time_limits(tool_timeout_max)[1] + VISIBILITY_MARGIN_SECONDS


def scan_deadline_seconds(
    *,
    tool_runs: int,
    tool_timeout: int,
    concurrency: int,
    margin: int = DEFAULT_SCAN_DEADLINE_MARGIN_SECONDS,
) -> int:
    """Seconds from queueing after which the reaper may end a scan of `tool_runs` runs.

    One worker process runs one tool at a time; with `concurrency` processes the runs go in
    ceil(runs / concurrency) waves, each at most one task's hard limit. More workers only
    finish sooner, so counting one worker's processes is the safe side.
    """
    waves = math.ceil(max(1, tool_runs) / max(1, concurrency))
    return waves * tool_task_time_limits(tool_timeout)[1] + max(0, margin)


def tool_timeout_max() -> int:
    from django.conf import settings

    return int(settings.SECULITE_TOOL_TIMEOUT_MAX_SECONDS)


def effective_tool_timeout(configured: Any) -> int:
    """The configuration's tool timeout, at most SECULITE_TOOL_TIMEOUT_MAX_SECONDS (the API
    refuses more; a configuration saved under a higher cap runs with today's)."""
    value = int(configured or DEFAULT_TOOL_TIMEOUT_SECONDS)
    return max(1, min(value, tool_timeout_max()))


def scan_deadline_seconds_for(*, tool_runs: int, tool_timeout: int, checkouts: int = 0) -> int:
    """`scan_deadline_seconds` with this deployment's worker concurrency and margin, plus the
    time `scan_run` may spend fetching or extracting `checkouts` source targets one after
    another before any tool starts."""
    from django.conf import settings

    return checkouts * PREPARATION_SECONDS + scan_deadline_seconds(
        tool_runs=tool_runs,
        tool_timeout=tool_timeout,
        concurrency=int(getattr(settings, "CELERY_WORKER_CONCURRENCY", 1) or 1),
        margin=int(settings.SECULITE_SCAN_DEADLINE_MARGIN_SECONDS),
    )


def visibility_timeout_check(*, visibility_timeout: int, tool_timeout_max: int) -> list[Any]:
    """A system-check warning when an explicit CELERY_VISIBILITY_TIMEOUT is too short."""
    from django.core.checks import Warning as CheckWarning

    needed = broker_visibility_timeout(tool_timeout_max)
    if visibility_timeout >= needed:
        return []
    return [
        CheckWarning(
            f"CELERY_VISIBILITY_TIMEOUT is {visibility_timeout} s, but a tool task may take up "
            f"to {needed - VISIBILITY_MARGIN_SECONDS} s (SECULITE_TOOL_TIMEOUT_MAX_SECONDS="
            f"{tool_timeout_max}): the broker would deliver it again while it runs, and the "
            "tool would run twice.",
            hint="Leave CELERY_VISIBILITY_TIMEOUT empty to derive it, or lower "
            "SECULITE_TOOL_TIMEOUT_MAX_SECONDS.",
            id="seculite.W001",
        )
    ]


def check_visibility_timeout(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    """Django system check: the configured broker redelivers no running tool task."""
    from django.conf import settings

    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}) or {}
    if "visibility_timeout" not in options:
        return []
    return visibility_timeout_check(
        visibility_timeout=int(options["visibility_timeout"]), tool_timeout_max=tool_timeout_max()
    )
