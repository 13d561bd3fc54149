"""Recompute the dashboard's rollups from the findings (a repair tool; PostgreSQL only)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.dashboard.metric_rollups import metrics_rollups_rebuild
from apps.dashboard.rollups import rollups_maintained, rollups_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the dashboard's finding counts and new/resolved buckets, and the metrics' "
        "per-project rollups, from the findings. Triggers keep the first exact and the worker "
        "the second; run this after restoring a partial dump or if the triggers were "
        "disabled. Writes to findings wait while the counts are rebuilt."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not rollups_maintained():
            raise CommandError("Nothing to rebuild: on SQLite the dashboard counts findings.")
        counts, buckets = rollups_rebuild()
        self.stdout.write(f"Rebuilt {counts} count rows and {buckets} trend buckets.")
        groups, days, fixed, new, projects = metrics_rollups_rebuild()
        self.stdout.write(
            f"Rebuilt the metrics' rollups of {projects} projects: {groups} open-by-key rows, "
            f"{days} open-by-day rows, {fixed} fixed-by-day rows, {new} new-by-day rows."
        )
