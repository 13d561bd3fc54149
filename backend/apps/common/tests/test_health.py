"""Health endpoint reports the database and the broker."""

import pytest

pytestmark = pytest.mark.django_db


def test_health_reports_database_and_broker(api_client):
    response = api_client.get("/api/v1/health/")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["database"]["ok"] is True
    assert body["database"]["vendor"] == "postgresql"
    assert body["broker"]["ok"] is True


def test_health_answers_503_when_the_broker_is_down(api_client, monkeypatch):
    from apps.common import apis, health

    # Nothing listens on port 1: a real failed connection, not a faked result.
    monkeypatch.setattr(
        apis, "broker_health", lambda: health.broker_health("redis://127.0.0.1:1/0")
    )
    response = api_client.get("/api/v1/health/")
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["broker"]["ok"] is False


def test_unknown_api_url_answers_in_the_error_format(api_client):
    response = api_client.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {
        "error": {"status": 404, "code": "not_found", "message": "Not found."}
    }


def test_unauthenticated_call_answers_401_in_the_error_format(api_client):
    response = api_client.get("/api/v1/projects/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
