"""`manage.py sync_tools`: refresh tool rows from the registry and this machine's binaries."""

from typing import Any

from django.core.management.base import BaseCommand

from apps.tools.sync import tools_sync


class Command(BaseCommand):
    help = "Sync ToolDefinition rows with the adapter registry and detect installed versions."

    def handle(self, *args: Any, **options: Any) -> None:
        for row in tools_sync():
            state = f"v{row.version}" if row.available else f"unavailable: {row.unavailable_reason}"
            self.stdout.write(f"{row.slug:16} {state}")
