"""Login: a session (no API key); generic errors; django-axes lockout per username + IP."""

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import ApiKey
from apps.accounts.tests.utils import LOGIN_URL, login
from apps.common.testing.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("identifier", ["alice", "alice@example.com", "ALICE@example.com"])
def test_login_starts_a_session_and_issues_no_api_key(api_client, user, identifier):
    response = login(api_client, identifier)

    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == {"status", "user", "mfa_methods"}
    assert body["status"] == "signed_in"
    assert body["user"]["id"] == user.id
    assert body["user"]["username"] == "alice"
    assert body["user"]["profile"]["timezone"] == "UTC"
    assert not ApiKey.objects.exists()
    assert api_client.get("/api/v1/auth/me/").json()["id"] == user.id


def test_login_starts_a_session(api_client, user):
    assert login(api_client, "alice").status_code == 200

    assert api_client.cookies["sessionid"].value
    assert api_client.cookies["csrftoken"].value
    assert api_client.get("/api/v1/auth/me/").json()["id"] == user.id


@pytest.mark.parametrize(
    ("identifier", "password"),
    [
        ("alice", "wrong-password-123"),
        ("nobody", DEFAULT_PASSWORD),
        ("nobody@example.com", DEFAULT_PASSWORD),
    ],
)
def test_login_with_wrong_credentials_gives_one_generic_error(
    api_client, user, identifier, password
):
    response = login(api_client, identifier, password)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_credentials"
    assert "username or email and password" in error["message"]
    assert "fields" not in error
    assert not ApiKey.objects.exists()
    assert "sessionid" not in api_client.cookies


def test_inactive_user_cannot_log_in(api_client, user):
    user.is_active = False
    user.save()

    response = login(api_client, "alice")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_credentials"


def test_login_validates_input(api_client):
    response = api_client.post(LOGIN_URL, {"username": "alice"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["password"]


def test_login_refuses_form_posts_so_other_sites_cannot_sign_visitors_in(api_client, user):
    response = api_client.post(
        LOGIN_URL, {"username": "alice", "password": DEFAULT_PASSWORD}, format="multipart"
    )

    assert response.status_code == 415
    assert "sessionid" not in api_client.cookies


def test_lockout_after_five_failures_refuses_even_the_right_password(api_client, user):
    statuses = [login(api_client, "alice", "wrong-password-123").status_code for _ in range(5)]

    # The fifth failure reaches the limit and already answers with the lockout.
    assert statuses == [400, 400, 400, 400, 429]
    response = login(api_client, "alice", DEFAULT_PASSWORD)
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "account_locked"
    assert "15 minutes" in error["message"]
    assert not ApiKey.objects.exists()
    assert "sessionid" not in api_client.cookies


def test_lockout_counts_email_spellings_against_the_same_user(api_client, user):
    for identifier in ["alice", "alice@example.com", "ALICE@EXAMPLE.COM", "Alice@Example.com"]:
        login(api_client, identifier, "wrong-password-123")
    assert login(api_client, "alice@Example.com", "wrong-password-123").status_code == 429

    assert login(api_client, "alice").status_code == 429


def test_lockout_is_per_ip_address(api_client, user):
    for _ in range(5):
        login(api_client, "alice", "wrong-password-123")
    assert login(api_client, "alice").status_code == 429

    other_ip = APIClient(REMOTE_ADDR="203.0.113.7")
    response = login(other_ip, "alice")

    assert response.status_code == 200
    assert response.json()["user"]["id"] == user.id


def test_success_resets_the_failure_count(api_client, user):
    for _ in range(4):
        login(api_client, "alice", "wrong-password-123")
    assert login(api_client, "alice").status_code == 200

    statuses = [login(api_client, "alice", "wrong-password-123").status_code for _ in range(4)]

    assert statuses == [400, 400, 400, 400]
