"""Throttles on the anonymous endpoints answer 429 `throttled` past their rate."""

import pytest
from rest_framework.throttling import SimpleRateThrottle

from apps.accounts.tests.utils import STRONG_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def tight_rates(monkeypatch):
    """Two requests a minute per scope. DRF copied the configured rates at import time."""
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {"login": "2/min", "register": "2/min", "password_reset": "2/min"},
    )


def _payload(url: str, attempt: int) -> dict:
    if url.endswith("register/"):
        return {
            "username": f"user{attempt}",
            "email": f"user{attempt}@example.com",
            "password": STRONG_PASSWORD,
        }
    if url.endswith("login/"):
        return {"username": "nobody", "password": "wrong-password-123"}
    return {"email": "nobody@example.com"}


@pytest.mark.parametrize(
    ("url", "allowed_status"),
    [
        ("/api/v1/auth/login/", 400),
        ("/api/v1/auth/register/", 202),
        ("/api/v1/auth/password/reset/", 200),
    ],
)
def test_anonymous_endpoints_are_throttled(api_client, tight_rates, url, allowed_status):
    statuses = [api_client.post(url, _payload(url, n)).status_code for n in range(2)]
    assert statuses == [allowed_status, allowed_status]

    response = api_client.post(url, _payload(url, 2))

    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "throttled"
    assert error["status"] == 429
    assert "Retry-After" in response.headers


def test_throttles_are_per_scope(api_client, tight_rates):
    for n in range(2):
        api_client.post("/api/v1/auth/login/", _payload("login/", n))

    response = api_client.post("/api/v1/auth/password/reset/", {"email": "x@example.com"})

    assert response.status_code == 200


def test_email_change_guesses_of_the_password_are_throttled(client_for, user, tight_rates):
    client = client_for(user)
    guess = {"email": "new@example.com", "current_password": "wrong-password-123"}

    statuses = [client.post("/api/v1/auth/email/change/", guess).status_code for _ in range(3)]

    assert statuses == [400, 400, 429]


def test_password_change_guesses_of_the_current_password_are_throttled(
    client_for, user, tight_rates
):
    """Changing the password checks the current one: it must not be an unlimited oracle for
    whoever holds a session."""
    client = client_for(user)
    guess = {"old_password": "wrong-password-123", "new_password": "another-long-pass-456"}

    statuses = [client.post("/api/v1/auth/password/change/", guess).status_code for _ in range(3)]

    assert statuses == [400, 400, 429]
