"""Data migrations of the accounts app."""

import importlib

import pytest
from django.apps import apps as django_apps

from apps.accounts.models import ApiKey
from apps.accounts.services import api_key_create

pytestmark = pytest.mark.django_db

revoke = importlib.import_module("apps.accounts.migrations.0003_revoke_sign_in_keys")


def test_keys_issued_by_sign_in_are_revoked_and_created_keys_stay(user):
    sign_in_key, _ = api_key_create(user=user, name="login 2026-11-30 08:15:02 UTC")
    created, _ = api_key_create(user=user, name="login script for CI")

    revoke.revoke_sign_in_keys(django_apps, None)

    assert ApiKey.objects.get(pk=sign_in_key.pk).revoked_at is not None
    assert ApiKey.objects.get(pk=created.pk).revoked_at is None
