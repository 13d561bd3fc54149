"""Recompute the dashboard's rollups from the findings (a repair tool; PostgreSQL only)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.dashboard.rollups import rollups_maintained, rollups_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the dashboard's finding counts and new/resolved buckets from the findings. "
        "Triggers keep them exact; run this after restoring a partial dump or if the triggers "
        "were disabled. Writes to findings wait while it runs."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not rollups_maintained():
            raise CommandError("Nothing to rebuild: on SQLite the dashboard counts findings.")
        counts, buckets = rollups_rebuild()
        self.stdout.write(f"Rebuilt {counts} count rows and {buckets} trend buckets.")
