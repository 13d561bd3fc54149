"""The signed-in user (`me`) and their profile: time zone, notifications, names, email."""

import pytest
from django.contrib.auth.models import User

from apps.accounts.models import UserProfile, default_notification_preferences

pytestmark = pytest.mark.django_db

ME_URL = "/api/v1/auth/me/"
URL = "/api/v1/auth/profile/"


def test_me_describes_the_caller(client_for, user):
    response = client_for(user).get(ME_URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "id",
        "username",
        "email",
        "first_name",
        "last_name",
        "is_staff",
        "date_joined",
        "profile",
    }
    assert body["id"] == user.id
    assert body["email"] == "alice@example.com"
    assert body["profile"]["notification_preferences"] == default_notification_preferences()


def test_me_needs_authentication(api_client):
    response = api_client.get(ME_URL)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


def test_profile_is_created_for_users_without_one(client_for):
    superuser = User.objects.create_superuser("admin", "admin@example.com", "x" * 20)
    assert not UserProfile.objects.filter(user=superuser).exists()

    response = client_for(superuser).get(URL)

    assert response.status_code == 200
    assert response.json()["timezone"] == "UTC"
    assert UserProfile.objects.filter(user=superuser).count() == 1


def test_patch_profile_updates_user_and_profile(client_for, user):
    response = client_for(user).patch(
        URL,
        {
            "timezone": "Europe/Berlin",
            "first_name": "Alice",
            "last_name": "Liddell",
        },
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["timezone"] == "Europe/Berlin"
    assert body["first_name"] == "Alice"
    user.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Alice", "Liddell")
    assert UserProfile.objects.get(user=user).timezone == "Europe/Berlin"


def test_patch_notification_preferences_merges_switches(client_for, user):
    client = client_for(user)

    response = client.patch(
        URL,
        {"notification_preferences": {"scan_failed": False, "new_findings_min_severity": "low"}},
    )

    assert response.status_code == 200, response.json()
    expected = {
        **default_notification_preferences(),
        "scan_failed": False,
        "new_findings_min_severity": "low",
    }
    assert response.json()["notification_preferences"] == expected
    assert UserProfile.objects.get(user=user).notification_preferences == expected


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"notification_preferences": {"new_findings_min_severity": "urgent"}}, None),
        ({"notification_preferences": {"email_enabled": "perhaps"}}, None),
        ({"notification_preferences": "all"}, None),
        ({"email": "not-an-email"}, "email"),
    ],
)
def test_patch_profile_rejects_invalid_values(client_for, user, payload, field):
    client = client_for(user)

    response = client.patch(URL, payload, format="json")

    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    if field is None:
        (name,) = fields
        assert name.startswith("notification_preferences.")
    else:
        assert list(fields) == [field]
    profile = client.get(URL).json()
    assert profile["timezone"] == "UTC"
    assert profile["email"] == "alice@example.com"
    assert profile["notification_preferences"] == default_notification_preferences()


def test_patch_profile_does_not_change_the_email(client_for, user):
    """The email changes only through /auth/email/change/, which needs the password."""
    response = client_for(user).patch(URL, {"email": "mallory@example.com", "first_name": "A"})

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["email"]
    user.refresh_from_db()
    assert (user.email, user.first_name) == ("alice@example.com", "")
