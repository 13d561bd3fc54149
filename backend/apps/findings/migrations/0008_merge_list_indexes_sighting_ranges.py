"""Joins the list indexes and the sighting ranges, made in parallel from 0005."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("findings", "0006_list_indexes"),
        ("findings", "0007_sighting_ranges_data"),
    ]

    operations = []
