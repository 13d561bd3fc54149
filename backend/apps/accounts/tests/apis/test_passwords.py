"""Password change, reset request (no enumeration) and reset confirmation."""

import re

import pytest
from django.core import mail
from rest_framework.test import APIClient

from apps.accounts.models import ApiKey
from apps.accounts.services import api_key_create
from apps.accounts.tests.utils import STRONG_PASSWORD, login, token_client
from apps.common.testing.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

CHANGE_URL = "/api/v1/auth/password/change/"
RESET_URL = "/api/v1/auth/password/reset/"
CONFIRM_URL = "/api/v1/auth/password/reset/confirm/"
ME_URL = "/api/v1/auth/me/"
LINK = re.compile(r"http://\S+/reset-password\?uid=(?P<uid>[\w-]+)&token=(?P<token>[\w-]+)")


def _link_from_mail(message) -> dict[str, str]:
    match = LINK.search(message.body)
    assert match, message.body
    return match.groupdict()


def test_change_password_keeps_the_session(api_client, user):
    login(api_client, "alice")

    response = api_client.post(
        CHANGE_URL, {"old_password": DEFAULT_PASSWORD, "new_password": STRONG_PASSWORD}
    )

    assert response.status_code == 200, response.json()
    assert api_client.get("/api/v1/auth/me/").status_code == 200
    user.refresh_from_db()
    assert user.check_password(STRONG_PASSWORD)


def test_change_password_ends_other_sessions(api_client, user):
    other = APIClient()
    login(other, "alice")
    login(api_client, "alice")

    api_client.post(CHANGE_URL, {"old_password": DEFAULT_PASSWORD, "new_password": STRONG_PASSWORD})

    assert other.get("/api/v1/auth/me/").status_code == 401


def test_change_password_revokes_every_api_key_and_other_session(api_client, user):
    _, key = api_key_create(user=user, name="ci")
    _, other_key = api_key_create(user=user, name="laptop")
    other_session = APIClient()
    login(other_session, "alice")
    login(api_client, "alice")
    assert token_client(key).get(ME_URL).status_code == 200

    response = api_client.post(
        CHANGE_URL, {"old_password": DEFAULT_PASSWORD, "new_password": STRONG_PASSWORD}
    )

    assert response.status_code == 200, response.json()
    for old_key in (key, other_key):
        me = token_client(old_key).get(ME_URL)
        assert me.status_code == 401
        assert me.json()["error"]["code"] == "authentication_failed"
    assert other_session.get(ME_URL).status_code == 401
    # The session that changed the password carries on.
    assert api_client.get(ME_URL).status_code == 200
    assert all(k.revoked_at is not None for k in ApiKey.objects.filter(user=user))


def test_reset_password_revokes_every_api_key_and_session(api_client, user):
    _, key = api_key_create(user=user, name="ci")
    session = APIClient()
    login(session, "alice")
    api_client.post(RESET_URL, {"email": "alice@example.com"})
    link = _link_from_mail(mail.outbox[0])

    confirm = api_client.post(CONFIRM_URL, {**link, "new_password": STRONG_PASSWORD})

    assert confirm.status_code == 200, confirm.json()
    assert token_client(key).get(ME_URL).status_code == 401
    assert session.get(ME_URL).status_code == 401
    assert ApiKey.objects.get(user=user).revoked_at is not None


@pytest.mark.parametrize(
    ("old_password", "new_password", "field"),
    [
        ("wrong-password-123", STRONG_PASSWORD, "old_password"),
        (DEFAULT_PASSWORD, "short", "new_password"),
        (DEFAULT_PASSWORD, "123456789012", "new_password"),
    ],
)
def test_change_password_refusals(client_for, user, old_password, new_password, field):
    response = client_for(user).post(
        CHANGE_URL, {"old_password": old_password, "new_password": new_password}
    )

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == [field]
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_change_password_needs_authentication(api_client):
    response = api_client.post(CHANGE_URL, {"old_password": "a", "new_password": "b"})

    assert response.status_code == 401


def test_reset_request_emails_a_link_and_confirm_sets_the_password(api_client, user, settings):
    settings.FRONTEND_URL = "http://frontend.test"

    response = api_client.post(RESET_URL, {"email": "ALICE@example.com"})

    assert response.status_code == 200
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["alice@example.com"]
    assert "http://frontend.test/reset-password?uid=" in message.body
    link = _link_from_mail(message)

    confirm = api_client.post(CONFIRM_URL, {**link, "new_password": STRONG_PASSWORD})

    assert confirm.status_code == 200, confirm.json()
    user.refresh_from_db()
    assert user.check_password(STRONG_PASSWORD)
    assert login(api_client, "alice", STRONG_PASSWORD).status_code == 200
    # The link works once.
    again = api_client.post(CONFIRM_URL, {**link, "new_password": "another-" + STRONG_PASSWORD})
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "invalid_token"


def test_reset_request_does_not_reveal_whether_an_account_exists(api_client, user):
    inactive = UserFactory(email="gone@example.com", is_active=False)

    known = api_client.post(RESET_URL, {"email": "alice@example.com"})
    unknown = api_client.post(RESET_URL, {"email": "nobody@example.com"})
    deactivated = api_client.post(RESET_URL, {"email": inactive.email})

    assert known.status_code == unknown.status_code == deactivated.status_code == 200
    assert known.json() == unknown.json() == deactivated.json()
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]


@pytest.mark.parametrize(
    ("uid", "token"),
    [
        ("MQ", "bad-token"),
        ("!!!", "bad-token"),
        ("OTk5OTk5", "bad-token"),
    ],
)
def test_confirm_with_an_invalid_token(api_client, user, uid, token):
    response = api_client.post(
        CONFIRM_URL, {"uid": uid, "token": token, "new_password": STRONG_PASSWORD}
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_token"
    user.refresh_from_db()
    assert user.check_password(DEFAULT_PASSWORD)


def test_confirm_with_another_users_token_fails(api_client, user):
    other = UserFactory(email="other@example.com")
    api_client.post(RESET_URL, {"email": "other@example.com"})
    other_link = _link_from_mail(mail.outbox[0])
    api_client.post(RESET_URL, {"email": "alice@example.com"})
    alice_link = _link_from_mail(mail.outbox[1])

    response = api_client.post(
        CONFIRM_URL,
        {"uid": alice_link["uid"], "token": other_link["token"], "new_password": STRONG_PASSWORD},
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_token"
    other.refresh_from_db()
    assert not other.check_password(STRONG_PASSWORD)


def test_confirm_applies_password_validators(api_client, user):
    api_client.post(RESET_URL, {"email": "alice@example.com"})
    link = _link_from_mail(mail.outbox[0])

    response = api_client.post(CONFIRM_URL, {**link, "new_password": "short"})

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["new_password"]


def test_confirm_lifts_a_lockout(api_client, user):
    for _ in range(5):
        login(api_client, "alice", "wrong-password-123")
    assert login(api_client, "alice").status_code == 429
    api_client.post(RESET_URL, {"email": "alice@example.com"})
    link = _link_from_mail(mail.outbox[0])

    assert (
        api_client.post(CONFIRM_URL, {**link, "new_password": STRONG_PASSWORD}).status_code == 200
    )

    assert login(api_client, "alice", STRONG_PASSWORD).status_code == 200
    assert not ApiKey.objects.filter(user=user).exists()
