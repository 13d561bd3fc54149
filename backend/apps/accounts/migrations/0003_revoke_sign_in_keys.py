"""Revoke the API keys that sign-ins used to issue: they outlived sign-out, and sign-in no longer
creates keys. Keys people created themselves are left alone."""

import re

from django.db import migrations
from django.utils import timezone

SIGN_IN_KEY_NAME = re.compile(r"^login \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$")


def revoke_sign_in_keys(apps, schema_editor) -> None:
    api_key_model = apps.get_model("accounts", "ApiKey")
    ids = [
        key.pk
        for key in api_key_model.objects.filter(revoked_at__isnull=True, name__startswith="login ")
        if SIGN_IN_KEY_NAME.match(key.name)
    ]
    api_key_model.objects.filter(pk__in=ids).update(revoked_at=timezone.now())


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_userprofile_registration_pending")]

    operations = [migrations.RunPython(revoke_sign_in_keys, migrations.RunPython.noop)]
