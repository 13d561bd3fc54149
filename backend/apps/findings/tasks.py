"""Celery tasks of the findings app: thin wrappers around the services of the same name."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from celery import shared_task

from apps.findings.acceptance import findings_acceptance_expire as expire


@shared_task(name="findings.acceptance_expire", acks_late=True)
def findings_acceptance_expire() -> int:
    """Run by beat: reopen findings whose risk acceptance expired."""
    return expire()


@shared_task(name="findings.issue_groups_group_ingested", acks_late=True)
def issue_groups_group_ingested(
    *, project_id: int, tool_id: int, target_id: int | None, since: str, secrets: list[Any]
) -> None:
    """Group what a large ingest created (apps.findings.grouping.issue_groups_after_ingest)."""
    from apps.findings.grouping import issue_groups_group_ingested as group

    group(
        project_id=project_id, tool_id=tool_id, target_id=target_id,
        since=datetime.fromisoformat(since),
        secrets={(path, line, rule): value for path, line, rule, value in secrets},
    )  # fmt: skip
