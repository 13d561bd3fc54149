"""Celery tasks of the dashboard: the daily snapshots of open findings and the metrics'
rollups (apps.dashboard.metric_rollups)."""

from __future__ import annotations

from celery import shared_task

from apps.dashboard import metric_rollups
from apps.dashboard.snapshots import snapshots_take as take


@shared_task(name="dashboard.snapshots_take", acks_late=True)
def snapshots_take() -> int:
    """Run by beat: rewrite today's open-findings snapshot of every project from the rollups."""
    return take()


@shared_task(name="dashboard.metrics_rollups_refresh", acks_late=True)
def metrics_rollups_refresh(project_id: int) -> str:
    """Queued once a project's findings changed: rewrite its metric rollups."""
    return metric_rollups.metrics_rollups_refresh(project_id=project_id).isoformat()


@shared_task(name="dashboard.metrics_rollups_refresh_dirty", acks_late=True)
def metrics_rollups_refresh_dirty() -> int:
    """Run by beat: recompute every project whose findings changed without a refresh queued
    (a raw SQL write, a lost task)."""
    return metric_rollups.metrics_rollups_refresh_dirty()
