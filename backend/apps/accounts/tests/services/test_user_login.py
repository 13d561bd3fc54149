"""user_login: axes-aware authentication, email canonicalisation, a session and no key."""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory

from apps.accounts.models import ApiKey
from apps.accounts.services import user_login
from apps.common.errors import ServiceError
from apps.common.testing.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def _request(ip: str = "192.0.2.1"):
    request = RequestFactory().post("/api/v1/auth/login/", REMOTE_ADDR=ip)
    request.session = SessionStore()
    return request


def test_login_starts_a_session_and_creates_no_api_key(user):
    request = _request()

    signed_in = user_login(request=request, username="alice@EXAMPLE.com", password=DEFAULT_PASSWORD)

    assert signed_in.status == "signed_in"
    assert signed_in.user == user
    assert request.session["_auth_user_id"] == str(user.pk)
    assert not ApiKey.objects.exists()


def test_failures_are_recorded_even_though_the_call_raises(user):
    with pytest.raises(ServiceError) as exc_info:
        user_login(request=_request(), username="ALICE@example.com", password="nope-nope-nope")

    assert exc_info.value.get_codes() == "invalid_credentials"
    attempt = AccessAttempt.objects.get()
    assert attempt.username == "alice"  # counted against the account, not the spelling
    assert attempt.failures_since_start == 1


def test_locked_out_pair_raises_account_locked(user):
    for _ in range(4):
        with pytest.raises(ServiceError):
            user_login(request=_request(), username="alice", password="nope-nope-nope")

    with pytest.raises(ServiceError) as exc_info:
        user_login(request=_request(), username="alice", password=DEFAULT_PASSWORD + "x")
    assert exc_info.value.status_code == 429
    with pytest.raises(ServiceError) as exc_info:
        user_login(request=_request(), username="alice", password=DEFAULT_PASSWORD)
    assert exc_info.value.get_codes() == "account_locked"

    assert user_login(request=_request("192.0.2.2"), username="alice", password=DEFAULT_PASSWORD)
    assert User.objects.get(pk=user.pk).last_login is not None
