"""Half of each findings page left free (PostgreSQL only).

A re-scan stamps the last sighting of every unchanged finding in place (apps.findings.
ingest_postgres). A finding row is about 500 bytes; with 15 % of the page free only two or
three of a page's rows could be updated HOT and the rest got new entries in every index
(measured on a 10,000-finding re-import: 0.6–0.8 s at 85, 60 ms at 50). Existing pages keep
their layout until they are rewritten (VACUUM FULL); new rows get the room at once.
"""

from django.db import migrations


def _fillfactor(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE findings_finding SET (fillfactor = 50)")


def _fillfactor_back(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE findings_finding SET (fillfactor = 85)")


class Migration(migrations.Migration):
    dependencies = [("findings", "0008_merge_list_indexes_sighting_ranges")]

    operations = [migrations.RunPython(_fillfactor, _fillfactor_back)]
