"""Celery tasks of the dashboard: the daily snapshots of open findings."""

from __future__ import annotations

from celery import shared_task

from apps.dashboard.snapshots import snapshots_take as take


@shared_task(name="dashboard.snapshots_take", acks_late=True)
def snapshots_take() -> int:
    """Run by beat: rewrite today's open-findings snapshot of every project from the rollups."""
    return take()
