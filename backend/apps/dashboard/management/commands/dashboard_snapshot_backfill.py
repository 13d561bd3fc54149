"""Reconstruct the daily open-findings snapshots from the findings' history."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.dashboard.snapshots import snapshots_backfill


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD).") from exc


class Command(BaseCommand):
    help = (
        "Fill the daily snapshots of open findings per severity from the findings' first "
        "seen and resolved times and their status events (UTC days). Days already recorded "
        "live are kept unless --overwrite."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", help="First day (default: each project's first finding).")
        parser.add_argument("--until", help="Last day (default: today).")
        parser.add_argument("--project", type=int, action="append", help="Only this project id.")
        parser.add_argument("--overwrite", action="store_true", help="Replace recorded days.")

    def handle(self, *args: Any, **options: Any) -> None:
        since = _day(options["since"]) if options["since"] else None
        until = _day(options["until"]) if options["until"] else None
        if since and until and since > until:
            raise CommandError("--since is after --until.")
        written = snapshots_backfill(
            since=since, until=until, project_ids=options["project"], overwrite=options["overwrite"]
        )
        self.stdout.write(f"Wrote {written} daily snapshots.")
