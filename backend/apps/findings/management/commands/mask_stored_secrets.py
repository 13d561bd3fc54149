"""`manage.py mask_stored_secrets`: mask secrets stored before SecuLite masked them."""

from typing import Any

from django.core.management.base import BaseCommand

from apps.findings.secrets_backfill import secrets_backfill


class Command(BaseCommand):
    help = (
        "Mask hard-coded secrets in findings and raw tool outputs stored by earlier versions "
        "(run once after upgrading; safe to repeat)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = secrets_backfill()
        self.stdout.write(
            f"{result.findings} findings and {result.raw_outputs} raw outputs masked."
        )
