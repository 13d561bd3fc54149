"""Smoke run on the embedded default: SQLite and the filesystem broker, no server at all."""

import pytest
from django.conf import settings
from django.db import connection

from apps.common.testing.factories import UserFactory
from apps.common.testing.sessions import session_sign_in

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
    session_sign_in(client, user, factor="")
    created = client.post("/api/v1/projects/", {"name": "Smoke"}, content_type="application/json")
    assert created.status_code == 201, created.json()
    listed = client.get("/api/v1/projects/").json()
    assert [p["name"] for p in listed["results"]] == ["Smoke"]


@pytest.mark.django_db(transaction=True)
def test_a_transaction_that_reads_then_writes_waits_for_another_writer():
    """Two tool runs ingest at once on the embedded default. With SQLite's default deferred
    transactions the one that read first fails at once with "database is locked" when the
    other commits a write; taking the write lock at BEGIN makes it wait its turn."""
    import threading

    from django.contrib.auth.models import User
    from django.db import connections, transaction

    other_started, errors = threading.Event(), []

    def other_writer() -> None:
        other_started.set()
        try:
            UserFactory(username="other-writer")
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    with transaction.atomic():
        assert not User.objects.filter(username="first-writer").exists()  # a read first
        thread = threading.Thread(target=other_writer)
        thread.start()
        other_started.wait(5)
        thread.join(0.5)  # it commits now (deferred) or waits for this transaction (immediate)
        UserFactory(username="first-writer")
    thread.join(30)
    assert not errors
    assert set(User.objects.values_list("username", flat=True)) >= {"first-writer", "other-writer"}
