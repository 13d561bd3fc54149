"""Registration: creates an active user with a profile; duplicates and weak passwords refused."""

import pytest
from django.contrib.auth.models import User

from apps.accounts.models import UserProfile
from apps.accounts.tests.utils import STRONG_PASSWORD, login

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/register/"


def test_register_creates_user_and_profile(api_client):
    response = api_client.post(
        URL,
        {
            "username": "bob",
            "email": "Bob@Example.COM",
            "password": STRONG_PASSWORD,
            "first_name": "Bob",
        },
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["username"] == "bob"
    assert body["email"] == "Bob@example.com"  # the domain is normalised
    assert body["first_name"] == "Bob"
    assert body["is_staff"] is False
    assert body["profile"]["timezone"] == "UTC"
    assert "password" not in body
    user = User.objects.get(username="bob")
    assert user.is_active
    assert user.check_password(STRONG_PASSWORD)
    assert UserProfile.objects.filter(user=user).exists()
    assert login(api_client, "bob", STRONG_PASSWORD).status_code == 200


@pytest.mark.parametrize(
    ("username", "email", "field"),
    [
        ("alice", "new@example.com", "username"),
        ("ALICE", "new@example.com", "username"),
        ("newbie", "alice@example.com", "email"),
        ("newbie", "ALICE@EXAMPLE.com", "email"),
    ],
)
def test_register_refuses_taken_username_or_email(api_client, user, username, email, field):
    response = api_client.post(
        URL, {"username": username, "email": email, "password": STRONG_PASSWORD}
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    ("password", "message_part"),
    [
        ("Sh0rt-pass", "too short"),
        ("password1234", "too common"),
        ("839201746352", "entirely numeric"),
        ("carol-the-great", "too similar"),
    ],
)
def test_register_applies_password_validators(api_client, password, message_part):
    response = api_client.post(
        URL, {"username": "carol-the-great", "email": "carol@example.com", "password": password}
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["status"] == 400
    assert list(error["fields"]) == ["password"]
    assert any(message_part in message for message in error["fields"]["password"])
    assert not User.objects.filter(username="carol-the-great").exists()


def test_register_reports_every_invalid_field_at_once(api_client, user):
    response = api_client.post(
        URL, {"username": "alice", "email": "alice@example.com", "password": "short"}
    )

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"username", "email", "password"}


@pytest.mark.parametrize("username", ["has@sign", "with space", ""])
def test_register_refuses_invalid_usernames(api_client, username):
    response = api_client.post(
        URL, {"username": username, "email": "x@example.com", "password": STRONG_PASSWORD}
    )

    assert response.status_code == 400
    assert "username" in response.json()["error"]["fields"]


def test_register_requires_json(api_client):
    response = api_client.post(
        URL,
        {"username": "bob", "email": "bob@example.com", "password": STRONG_PASSWORD},
        format="multipart",
    )

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert not User.objects.filter(username="bob").exists()


def test_register_ignores_privilege_fields(api_client):
    response = api_client.post(
        URL,
        {
            "username": "mallory",
            "email": "mallory@example.com",
            "password": STRONG_PASSWORD,
            "is_staff": True,
            "is_superuser": True,
        },
    )

    assert response.status_code == 201
    user = User.objects.get(username="mallory")
    assert not user.is_staff
    assert not user.is_superuser
