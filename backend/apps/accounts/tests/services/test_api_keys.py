"""api_key_create / api_key_revoke."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from apps.accounts.keys import key_matches
from apps.accounts.models import ApiKey
from apps.accounts.services import api_key_create, api_key_revoke

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
