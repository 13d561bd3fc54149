"""API keys: created with the full key shown once, listed without secrets, revoked by id."""

from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.keys import key_hash
from apps.accounts.models import ApiKey
from apps.accounts.services import api_key_create
from apps.accounts.tests.utils import token_client
from apps.common.testing.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/api-keys/"
OUTPUT_FIELDS = {
    "id",
    "name",
    "prefix",
    "created_at",
    "last_used_at",
    "expires_at",
    "revoked_at",
    "is_active",
    "project",
    "project_name",
    "scopes",
}


def test_create_shows_the_key_once_and_stores_only_its_hash(client_for, user):
    client = client_for(user)
    expires_at = timezone.now() + timedelta(days=7)

    response = client.post(URL, {"name": "CI pipeline", "expires_at": expires_at.isoformat()})

    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == OUTPUT_FIELDS | {"key"}
    api_key = ApiKey.objects.get(pk=body["id"])
    assert api_key.user == user
    assert api_key.name == "CI pipeline"
    assert api_key.expires_at == expires_at
    assert api_key.key_hash == key_hash(body["key"])
    assert body["key"].startswith(f"sl_{api_key.prefix}_")
    # Later reads never show the key or its hash.
    listed = client.get(URL).json()["results"][0]
    assert set(listed) == OUTPUT_FIELDS
    detail = client.get(f"{URL}{api_key.id}/").json()
    assert set(detail) == OUTPUT_FIELDS
    assert body["key"] not in str(listed) + str(detail)
    assert api_key.key_hash not in str(listed) + str(detail)


def test_created_key_authenticates_and_records_use(client_for, user):
    key = client_for(user).post(URL, {"name": "cli"}).json()["key"]

    response = token_client(key).get("/api/v1/auth/me/")

    assert response.status_code == 200
    assert response.json()["id"] == user.id
    assert ApiKey.objects.get(user=user).last_used_at is not None


def test_create_refuses_an_expiry_in_the_past(client_for, user):
    past = (timezone.now() - timedelta(minutes=1)).isoformat()

    response = client_for(user).post(URL, {"name": "old", "expires_at": past})

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["expires_at"]
    assert not ApiKey.objects.exists()


def test_list_shows_only_own_keys_paginated_and_filterable(client_for, user):
    other = UserFactory()
    api_key_create(user=other, name="theirs")
    api_key_create(user=user, name="mine")
    revoked, _ = api_key_create(user=user, name="revoked")
    ApiKey.objects.filter(pk=revoked.pk).update(revoked_at=timezone.now())
    client = client_for(user)

    body = client.get(URL).json()
    active = client.get(URL, {"revoked": "false"}).json()
    only_revoked = client.get(URL, {"revoked": "true"}).json()
    by_name = client.get(URL, {"ordering": "name"}).json()

    assert body["count"] == 2
    assert {k["name"] for k in body["results"]} == {"mine", "revoked"}
    assert [k["name"] for k in active["results"]] == ["mine"]
    assert [k["name"] for k in only_revoked["results"]] == ["revoked"]
    assert only_revoked["results"][0]["is_active"] is False
    assert [k["name"] for k in by_name["results"]] == ["mine", "revoked"]


def test_revoke_stops_the_key_at_once(client_for, user):
    created = client_for(user).post(URL, {"name": "temp"}).json()
    assert token_client(created["key"]).get("/api/v1/auth/me/").status_code == 200

    response = client_for(user).delete(f"{URL}{created['id']}/")

    assert response.status_code == 204
    assert ApiKey.objects.get(pk=created["id"]).revoked_at is not None
    refused = token_client(created["key"]).get("/api/v1/auth/me/")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "authentication_failed"


def test_revoking_twice_keeps_the_first_time(client_for, user):
    api_key, _ = api_key_create(user=user, name="temp")
    client = client_for(user)
    client.delete(f"{URL}{api_key.id}/")
    first = ApiKey.objects.get(pk=api_key.pk).revoked_at

    assert client.delete(f"{URL}{api_key.id}/").status_code == 204

    assert ApiKey.objects.get(pk=api_key.pk).revoked_at == first


@pytest.mark.parametrize("method", ["get", "delete"])
def test_another_users_key_is_not_found(client_for, user, method):
    theirs, key = api_key_create(user=UserFactory(), name="theirs")

    response = getattr(client_for(user), method)(f"{URL}{theirs.id}/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert token_client(key).get("/api/v1/auth/me/").status_code == 200


def test_expired_key_is_refused(user):
    api_key, key = api_key_create(user=user, name="short")
    ApiKey.objects.filter(pk=api_key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert token_client(key).get("/api/v1/auth/me/").status_code == 401


def test_api_keys_need_authentication(api_client):
    assert api_client.get(URL).status_code == 401
