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


def test_workers_health_is_for_staff_only(client_for, project_with_roles, monkeypatch):
    from apps.common import apis

    monkeypatch.setattr(apis, "workers_health", lambda: {"ok": True, "workers": ["w1@host"]})
    assert client_for(project_with_roles.owner).get("/api/v1/health/workers/").status_code == 403
    assert client_for(None).get("/api/v1/health/workers/").status_code == 401

    response = client_for(project_with_roles.staff).get("/api/v1/health/workers/")

    assert response.status_code == 200
    body = response.json()
    assert {key: body[key] for key in ("ok", "workers")} == {"ok": True, "workers": ["w1@host"]}
    assert body["tool_isolation"]["isolation"] in ("sandboxed", "reduced")
    assert "reason" in body["tool_isolation"]  # staff see why isolation would be reduced


def test_health_says_when_tool_isolation_is_reduced(api_client, settings):
    """Reduced isolation is shown (without internal detail) but is not an outage."""
    from django.core.cache import cache

    cache.clear()
    assert api_client.get("/api/v1/health/").json()["tool_isolation"] == {
        "ok": True,
        "isolation": "sandboxed",
    }
    settings.SECULITE_TOOL_SANDBOX = "off"
    response = api_client.get("/api/v1/health/")
    assert response.status_code == 200
    assert response.json()["tool_isolation"] == {"ok": False, "isolation": "reduced"}


def test_workers_health_reports_a_failing_broker(monkeypatch):
    from apps.common import health
    from seculite_api.celery import app

    def unreachable(**kwargs):
        raise ConnectionRefusedError

    monkeypatch.setattr(app.control, "inspect", unreachable)

    assert health.workers_health(timeout=0.2) == {
        "ok": False,
        "workers": [],
        "error": "ConnectionRefusedError",
    }
