"""Smoke run on the embedded default: SQLite and the filesystem broker, no server at all."""

import pytest
from django.conf import settings
from django.db import connection

from apps.common.testing.factories import UserFactory

pytestmark = [
    pytest.mark.smoke,
    pytest.mark.django_db,
    pytest.mark.skipif(
        "sqlite" not in settings.DATABASES["default"]["ENGINE"],
        reason="the smoke run is the one on the embedded SQLite default",
    ),
]


def test_embedded_default_serves_health_and_a_session_workflow(client):
    assert connection.vendor == "sqlite"

    health = client.get("/api/v1/health/").json()
    assert health["status"] == "ok"
    assert health["database"]["vendor"] == "sqlite"
    assert "filesystem" in health["broker"]["transport"].lower()

    user = UserFactory()
    client.force_login(user)
    created = client.post("/api/v1/projects/", {"name": "Smoke"}, content_type="application/json")
    assert created.status_code == 201, created.json()
    listed = client.get("/api/v1/projects/").json()
    assert [p["name"] for p in listed["results"]] == ["Smoke"]
