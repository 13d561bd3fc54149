"""Migration scans 0008 encrypts the webhook URLs stored in clear before it, and its reverse
writes them back in clear."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from apps.common.testing.factories import ScanConfigurationFactory

BEFORE = [("scans", "0007_signed_webhooks")]
AFTER = [("scans", "0008_webhook_url_encrypted")]
URL = "https://hooks.slack.com/services/T000/B000/s3cr3tT0ken"


def _migrate(targets: list[tuple[str, str]] | None = None) -> None:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets or executor.loader.graph.leaf_nodes())


def _stored(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT notify_webhook_url FROM scans_scanconfiguration WHERE id = %s", [pk])
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_migration_encrypts_urls_kept_in_clear_and_its_reverse_decrypts_them():
    configuration = ScanConfigurationFactory(notify_webhook_url=URL)
    blank = ScanConfigurationFactory(notify_webhook_url="")
    try:
        _migrate(BEFORE)
        with connection.cursor() as cursor:  # as the release before stored it
            cursor.execute(
                "UPDATE scans_scanconfiguration SET notify_webhook_url = %s WHERE id = %s",
                [URL, configuration.pk],
            )
        _migrate(AFTER)
        assert _stored(configuration.pk).startswith("v1:")
        assert "s3cr3t" not in _stored(configuration.pk)
        assert _stored(blank.pk) == ""
        configuration.refresh_from_db()
        assert configuration.notify_webhook_url == URL

        _migrate(BEFORE)
        assert _stored(configuration.pk) == URL
    finally:
        _migrate()
