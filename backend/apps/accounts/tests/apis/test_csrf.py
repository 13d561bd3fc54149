"""CSRF: anonymous login needs no token; writes on the resulting session do."""

import pytest
from rest_framework.test import APIClient

from apps.accounts.models import ApiKey
from apps.accounts.services import api_key_create
from apps.accounts.tests.utils import login, token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def csrf_client() -> APIClient:
    return APIClient(enforce_csrf_checks=True)


def test_anonymous_login_needs_no_csrf_token(csrf_client, user):
    assert login(csrf_client, "alice").status_code == 200


def test_session_write_without_csrf_token_is_refused(csrf_client, user):
    login(csrf_client, "alice")

    response = csrf_client.post("/api/v1/api-keys/", {"name": "ci"}, format="json")

    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "permission_denied"
    assert "CSRF" in error["message"]
    assert not ApiKey.objects.filter(user=user).exists()


def test_session_write_with_csrf_token_succeeds(csrf_client, user):
    login(csrf_client, "alice")
    csrf_token = csrf_client.cookies["csrftoken"].value

    response = csrf_client.post(
        "/api/v1/api-keys/", {"name": "ci"}, format="json", HTTP_X_CSRFTOKEN=csrf_token
    )

    assert response.status_code == 201, response.json()
    assert ApiKey.objects.filter(user=user, name="ci").exists()


def test_session_reads_need_no_csrf_token(csrf_client, user):
    login(csrf_client, "alice")

    assert csrf_client.get("/api/v1/auth/me/").status_code == 200


def test_api_key_writes_need_no_csrf_token(api_client, user):
    _, token = api_key_create(user=user, name="script")

    response = token_client(token, enforce_csrf_checks=True).post(
        "/api/v1/api-keys/", {"name": "ci"}, format="json"
    )

    assert response.status_code == 201
