"""Logout: ends the session; a call made with an API key revokes that key."""

import pytest

from apps.accounts.models import ApiKey
from apps.accounts.services import api_key_create
from apps.accounts.tests.utils import login, token_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/auth/logout/"


def test_logout_ends_the_session(api_client, user):
    login(api_client, "alice")
    assert api_client.get("/api/v1/auth/me/").status_code == 200

    response = api_client.post(URL)

    assert response.status_code == 204
    me = api_client.get("/api/v1/auth/me/")
    assert me.status_code == 401
    assert me.json()["error"]["code"] == "not_authenticated"


def test_logout_with_an_api_key_revokes_it(api_client, user):
    _, token = api_key_create(user=user, name="ci")
    client = token_client(token)

    response = client.post(URL)

    assert response.status_code == 204
    assert ApiKey.objects.get(user=user).revoked_at is not None
    me = client.get("/api/v1/auth/me/")
    assert me.status_code == 401
    assert me.json()["error"]["code"] == "authentication_failed"


def test_logout_with_a_session_keeps_api_keys(api_client, user):
    api_key_create(user=user, name="ci")
    login(api_client, "alice")

    assert api_client.post(URL).status_code == 204

    assert ApiKey.objects.get(user=user).revoked_at is None


def test_logout_without_a_session_is_harmless(api_client):
    assert api_client.post(URL).status_code == 204
