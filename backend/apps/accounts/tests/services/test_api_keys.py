"""api_key_create / api_key_revoke."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.accounts.keys import key_matches
from apps.accounts.models import ApiKey
from apps.accounts.services import api_key_create, api_key_revoke, api_keys_purge

pytestmark = pytest.mark.django_db


def test_create_stores_only_the_hash(user):
    api_key, full_key = api_key_create(user=user, name="ci")

    stored = ApiKey.objects.get(pk=api_key.pk)
    assert key_matches(full_key, stored.key_hash)
    assert full_key not in {stored.key_hash, stored.prefix, stored.name}
    assert stored.expires_at is None
    assert stored.is_active


def test_create_refuses_past_expiry(user):
    with pytest.raises(ValidationError) as exc_info:
        api_key_create(user=user, name="ci", expires_at=timezone.now() - timedelta(seconds=1))

    assert list(exc_info.value.message_dict) == ["expires_at"]
    assert not ApiKey.objects.exists()


def test_revoke_is_idempotent(user):
    api_key, _ = api_key_create(user=user, name="ci")

    first = api_key_revoke(api_key=api_key).revoked_at
    second = api_key_revoke(api_key=ApiKey.objects.get(pk=api_key.pk)).revoked_at

    assert first is not None
    assert first == second
    assert not ApiKey.objects.get(pk=api_key.pk).is_active


def test_purge_deletes_only_keys_dead_for_longer_than_the_retention(user):
    now = timezone.now()
    live, _ = api_key_create(user=user, name="live")
    api_key_create(user=user, name="no expiry")
    just_expired, _ = api_key_create(user=user, name="just expired")
    long_expired, _ = api_key_create(user=user, name="long expired")
    long_revoked, _ = api_key_create(user=user, name="long revoked")
    ApiKey.objects.filter(pk=live.pk).update(expires_at=now + timedelta(days=3))
    ApiKey.objects.filter(pk=just_expired.pk).update(expires_at=now - timedelta(days=1))
    ApiKey.objects.filter(pk=long_expired.pk).update(expires_at=now - timedelta(days=31))
    ApiKey.objects.filter(pk=long_revoked.pk).update(revoked_at=now - timedelta(days=31))

    assert api_keys_purge(retention=timedelta(days=30)) == 2
    assert set(ApiKey.objects.values_list("name", flat=True)) == {
        "live", "no expiry", "just expired",
    }  # fmt: skip


def test_purge_runs_from_beat():
    from django.conf import settings

    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "accounts.api_keys_purge" in scheduled
