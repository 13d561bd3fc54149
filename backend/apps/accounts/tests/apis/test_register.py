"""Registration: answers the same for every address, speaks through email, and activates the
account from the emailed link; weak passwords are refused."""

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail

from apps.accounts.models import UserProfile
from apps.accounts.tests.utils import STRONG_PASSWORD, login

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/register/"
CONFIRM_URL = "/api/v1/auth/register/confirm/"
ACTIVATION_LINK = re.compile(r"http://\S+/activate\?uid=(?P<uid>[\w-]+)&token=(?P<token>[\w-]+)")


def _activation_link(message) -> dict[str, str]:
    match = ACTIVATION_LINK.search(message.body)
    assert match, message.body
    return match.groupdict()


def test_register_emails_a_link_that_activates_the_account(api_client, settings):
    settings.FRONTEND_URL = "http://frontend.test"

    response = api_client.post(
        URL,
        {
            "username": "bob",
            "email": "Bob@Example.COM",
            "password": STRONG_PASSWORD,
            "first_name": "Bob",
        },
    )

    assert response.status_code == 202, response.json()
    assert set(response.json()) == {"detail"}
    user = User.objects.get(username="bob")
    assert user.email == "Bob@example.com"  # the domain is normalised
    assert user.first_name == "Bob"
    assert not user.is_active and not user.is_staff
    assert user.check_password(STRONG_PASSWORD)
    assert UserProfile.objects.filter(user=user).exists()
    assert login(api_client, "bob", STRONG_PASSWORD).status_code == 400  # not yet
    (message,) = mail.outbox
    assert message.to == ["Bob@example.com"]
    assert "http://frontend.test/activate?uid=" in message.body

    confirm = api_client.post(CONFIRM_URL, _activation_link(message))

    assert confirm.status_code == 200, confirm.json()
    assert login(api_client, "bob", STRONG_PASSWORD).status_code == 200
    # The link works once.
    api_client.post("/api/v1/auth/logout/")
    again = api_client.post(CONFIRM_URL, _activation_link(message))
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "invalid_token"


@pytest.mark.parametrize(
    ("username", "email", "told"),
    [
        ("newbie", "alice@example.com", "already has an account"),
        ("newbie", "ALICE@EXAMPLE.com", "already has an account"),
        ("alice", "new@example.com", "username"),
        ("ALICE", "new@example.com", "username"),
    ],
)
def test_register_answers_the_same_when_the_email_or_username_is_taken(
    api_client, user, username, email, told
):
    fresh = api_client.post(
        URL, {"username": "fresh", "email": "fresh@example.com", "password": STRONG_PASSWORD}
    )
    mail.outbox.clear()

    response = api_client.post(
        URL, {"username": username, "email": email, "password": STRONG_PASSWORD}
    )

    assert response.status_code == fresh.status_code == 202
    assert response.json() == fresh.json()
    assert not User.objects.filter(username="newbie").exists()
    assert User.objects.filter(email__iexact=email).count() == (told != "username")
    # The person at the address hears why, by email; no activation link in it.
    (message,) = mail.outbox
    assert message.to[0].lower() == email.lower()
    assert told in message.body
    assert not ACTIVATION_LINK.search(message.body)


def test_registering_again_replaces_an_unconfirmed_registration(api_client):
    """Someone who registered another person's address cannot hold it: the owner registers."""
    api_client.post(
        URL, {"username": "squatter", "email": "eve@example.com", "password": STRONG_PASSWORD}
    )
    mail.outbox.clear()

    response = api_client.post(
        URL, {"username": "eve", "email": "eve@example.com", "password": "x" + STRONG_PASSWORD}
    )

    assert response.status_code == 202
    assert not User.objects.filter(username="squatter").exists()
    (message,) = mail.outbox
    assert api_client.post(CONFIRM_URL, _activation_link(message)).status_code == 200
    assert login(api_client, "eve", "x" + STRONG_PASSWORD).status_code == 200


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
        URL, {"username": "has@sign", "email": "alice@example.com", "password": "short"}
    )

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"username", "password"}


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

    assert response.status_code == 202
    user = User.objects.get(username="mallory")
    assert not user.is_staff
    assert not user.is_superuser
