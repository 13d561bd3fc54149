"""Selectors: profiles on demand, API keys only the caller's, users only for staff."""

import pytest
from django.http import Http404
from rest_framework.exceptions import PermissionDenied

from apps.accounts.models import UserProfile
from apps.accounts.selectors import (
    api_key_get_for_user,
    api_key_list,
    profile_get_for_user,
    user_get,
    user_list,
)
from apps.accounts.services import api_key_create
from apps.common.testing.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_profile_get_creates_once(user):
    first = profile_get_for_user(user=user)
    second = profile_get_for_user(user=user)

    assert first.pk == second.pk
    assert UserProfile.objects.filter(user=user).count() == 1


def test_api_keys_are_scoped_to_their_owner(user):
    other = UserFactory()
    mine, _ = api_key_create(user=user, name="mine")
    theirs, _ = api_key_create(user=other, name="theirs")

    assert list(api_key_list(user=user)) == [mine]
    assert api_key_get_for_user(api_key_id=str(mine.pk), user=user) == mine
    for bad_id in [theirs.pk, "abc", None, 10**12]:
        with pytest.raises(Http404):
            api_key_get_for_user(api_key_id=bad_id, user=user)


def test_user_directory_is_for_staff_only(user, staff):
    assert set(user_list(actor=staff)) == {user, staff}
    assert user_get(user_id=user.pk, actor=staff) == user
    with pytest.raises(PermissionDenied):
        user_list(actor=user)
    with pytest.raises(PermissionDenied):
        user_get(user_id=user.pk, actor=user)
