"""Reopen findings whose risk acceptance expired (what the beat task does), now or as of a
given day."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.findings.acceptance import findings_acceptance_expire


class Command(BaseCommand):
    help = "Reopen accepted risks whose last day has passed (as the periodic task does)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--today",
            help="Act as if today were this day (YYYY-MM-DD), e.g. to see what would expire.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options["today"]:
            try:
                today = date.fromisoformat(options["today"])
            except ValueError as exc:
                raise CommandError("--today takes a date such as 2030-01-31.") from exc
        reopened = findings_acceptance_expire(today=today)
        self.stdout.write(f"{reopened} finding(s) reopened: their risk acceptance expired.")
