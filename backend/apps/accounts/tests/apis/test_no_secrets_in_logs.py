"""Nothing the accounts endpoints log contains a password, a reset token or an API key."""

import logging
import re

import pytest
from django.core import mail

from apps.accounts.tests.utils import STRONG_PASSWORD, login
from apps.common.testing.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def test_sign_in_flows_log_no_secrets(api_client, client_for, user, caplog):
    caplog.set_level(logging.DEBUG)

    api_client.post(
        "/api/v1/auth/register/",
        {"username": "bob", "email": "bob@example.com", "password": STRONG_PASSWORD},
    )
    login(api_client, "alice", "wrong-password-123")
    login(api_client, "alice")
    api_key = client_for(user).post("/api/v1/api-keys/", {"name": "ci"}).json()["key"]
    api_client.post("/api/v1/auth/password/reset/", {"email": "alice@example.com"})
    link = re.search(r"uid=([\w-]+)&token=([\w-]+)", mail.outbox[0].body)
    assert link
    uid, reset_token = link.groups()
    api_client.post(
        "/api/v1/auth/password/reset/confirm/",
        {"uid": uid, "token": reset_token, "new_password": "x" + STRONG_PASSWORD},
    )

    assert caplog.records, "expected the flows to log something"
    logged = caplog.text
    for secret in [DEFAULT_PASSWORD, STRONG_PASSWORD, "wrong-password-123", api_key]:
        assert secret not in logged
    assert reset_token not in logged
