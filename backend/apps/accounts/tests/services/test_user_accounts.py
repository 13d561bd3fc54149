"""Registration, invitation, profile and admin-update rules at the service level."""

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.exceptions import ValidationError

from apps.accounts.models import UserProfile, default_notification_preferences
from apps.accounts.services import (
    user_admin_update,
    user_invite,
    user_profile_update,
    user_register,
)
from apps.accounts.tests.utils import STRONG_PASSWORD
from apps.common.errors import ServiceError
from apps.common.testing.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_register_creates_a_pending_profile_without_signals():
    user_register(username="dora", email="dora@example.com", password=STRONG_PASSWORD)

    profile = UserProfile.objects.get(user__username="dora")
    assert profile.timezone == "UTC"
    assert profile.registration_pending
    assert profile.user.check_password(STRONG_PASSWORD)
    assert not profile.user.is_active


def test_register_collects_all_field_errors_that_reveal_no_accounts(user):
    with pytest.raises(ValidationError) as exc_info:
        user_register(username="Al@ice", email="ALICE@example.com", password="alice")

    assert set(exc_info.value.message_dict) == {"username", "password"}


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("jo.smith+sec@example.com", "jo.smith+sec"),
        ("ünï cödé!@example.com", "ünïcödé"),
        ("!!!@example.com", "user"),
    ],
)
def test_invite_derives_a_username_from_the_email(staff, email, expected):
    user = user_invite(invited_by=staff, email=email)

    assert user.username == expected
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1


def test_invite_numbers_taken_usernames(staff):
    UserFactory(username="sam")
    UserFactory(username="sam2")

    assert user_invite(invited_by=staff, email="sam@corp.example").username == "sam3"


def test_profile_update_merges_preferences_and_keeps_unknown_ones(user):
    UserProfile.objects.create(
        user=user, notification_preferences={"scan_failed": False, "digest": "weekly"}
    )

    profile = user_profile_update(user=user, notification_preferences={"email_enabled": False})

    assert profile.notification_preferences == {
        **default_notification_preferences(),
        "scan_failed": False,
        "email_enabled": False,
        "digest": "weekly",
    }


def test_profile_update_without_changes_keeps_everything(user):
    profile = user_profile_update(user=user)

    user.refresh_from_db()
    assert user.email == "alice@example.com"
    assert profile.timezone == "UTC"


@pytest.mark.parametrize(
    ("changes", "code"),
    [({"is_active": False}, "cannot_change_self"), ({"is_staff": False}, "cannot_change_self")],
)
def test_admin_update_refuses_self_lockout(staff, changes, code):
    with pytest.raises(ServiceError) as exc_info:
        user_admin_update(actor=staff, user=staff, **changes)

    assert exc_info.value.get_codes() == code


def test_admin_update_allows_harmless_self_changes(staff):
    assert user_admin_update(actor=staff, user=staff, is_active=True, is_staff=True) == staff


def test_admin_update_changes_only_given_flags(staff, user):
    user_admin_update(actor=staff, user=user, is_staff=True)

    user = User.objects.get(pk=user.pk)
    assert user.is_staff
    assert user.is_active
