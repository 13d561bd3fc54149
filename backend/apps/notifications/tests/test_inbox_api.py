"""The bell's API: my notifications only, in cursor pages, unread first or newest first, the
unread count, marking one or all read; and the preferences per event and channel."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.common.testing.factories import UserFactory
from apps.notifications.inbox import Entry, _write
from apps.notifications.inbox_models import InboxEvent, Notification

pytestmark = pytest.mark.django_db


def client_as(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def notify(user: Any, n: int, *, prefix: str = "n") -> list[Notification]:
    _write(
        Entry(
            user_id=user.pk,
            event=InboxEvent.SCAN_COMPLETED,
            event_key=f"{prefix}:{i}",
            title=f"{prefix} {i}",
            link=f"/scans/{i}",
        )
        for i in range(n)
    )
    return list(Notification.objects.filter(user=user).order_by("id"))


def test_list_is_mine_newest_first_in_cursor_pages():
    me, other = UserFactory(), UserFactory()
    mine = notify(me, 5)
    notify(other, 3, prefix="other")
    client = client_as(me)

    first = client.get("/api/v1/notifications/", {"page_size": 2}).json()
    assert [row["id"] for row in first["results"]] == [mine[4].pk, mine[3].pk]
    assert first["count"] == 5
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()
    assert [row["id"] for row in second["results"] + third["results"]] == [
        mine[2].pk,
        mine[1].pk,
        mine[0].pk,
    ]
    assert third["next"] is None
    row = first["results"][0]
    assert row == {
        "id": mine[4].pk,
        "event_type": "scan_completed",
        "title": "n 4",
        "body": "",
        "link": "/scans/4",
        "project": None,
        "scan": None,
        "finding": None,
        "unread": True,
        "read_at": None,
        "created_at": row["created_at"],
    }


def test_unread_first_ordering_pages_through_read_and_unread():
    me = UserFactory()
    rows = notify(me, 5)
    client = client_as(me)
    for row in (rows[4], rows[2]):
        assert client.post(f"/api/v1/notifications/{row.pk}/read/").status_code == 200

    seen, url = [], "/api/v1/notifications/?order=unread&page_size=2"
    while url:
        page = client.get(url).json()
        seen += [(row["id"], row["unread"]) for row in page["results"]]
        url = page["next"]
    assert seen == [
        (rows[3].pk, True),
        (rows[1].pk, True),
        (rows[0].pk, True),
        (rows[4].pk, False),
        (rows[2].pk, False),
    ]


def test_unread_count_mark_one_and_mark_all():
    me, other = UserFactory(), UserFactory()
    rows = notify(me, 3)
    notify(other, 2, prefix="other")
    client = client_as(me)
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 3}

    marked = client.post(f"/api/v1/notifications/{rows[0].pk}/read/").json()
    assert marked["unread"] is False and marked["read_at"]
    again = client.post(f"/api/v1/notifications/{rows[0].pk}/read/").json()
    assert again["read_at"] == marked["read_at"]  # marking again changes nothing
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 2}

    assert client.post("/api/v1/notifications/read-all/").json() == {"marked": 2}
    assert client.get("/api/v1/notifications/unread-count/").json() == {"unread": 0}
    # The other user's stay unread.
    assert client_as(other).get("/api/v1/notifications/unread-count/").json() == {"unread": 2}


def test_the_unread_count_is_one_indexed_query():
    me = UserFactory()
    notify(me, 3)
    client = client_as(me)
    client.get("/api/v1/notifications/unread-count/")
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/v1/notifications/unread-count/")
    counts = [q["sql"] for q in queries if "notifications_notification" in q["sql"]]
    assert len(counts) == 1
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN " + counts[0].replace("%s", str(me.pk)))
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    assert "notification_user_unread_idx" in plan, plan


@pytest.mark.parametrize("method", ["post"])
def test_another_users_notification_is_a_404(method):
    me, other = UserFactory(), UserFactory(is_staff=True)
    [row] = notify(me, 1)
    response = getattr(client_as(other), method)(f"/api/v1/notifications/{row.pk}/read/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    row.refresh_from_db()
    assert row.unread is True


@pytest.mark.parametrize("bad", ["abc", "99999999999999999999999", "-1"])
def test_malformed_ids_and_orderings(bad):
    client = client_as(UserFactory())
    assert client.post(f"/api/v1/notifications/{bad}/read/").status_code == 404
    response = client.get("/api/v1/notifications/", {"order": bad})
    assert response.status_code == 400
    assert "order" in response.json()["error"]["fields"]
    assert client.get("/api/v1/notifications/", {"cursor": bad}).status_code == 400


def test_anonymous_is_refused():
    client = APIClient()
    for path in (
        "/api/v1/notifications/",
        "/api/v1/notifications/unread-count/",
        "/api/v1/notifications/preferences/",
    ):
        assert client.get(path).status_code == 401


# --- Preferences ----------------------------------------------------------------------------


def test_preferences_default_to_todays_behaviour():
    body = client_as(UserFactory()).get("/api/v1/notifications/preferences/").json()
    assert body["email_enabled"] is True
    assert body["new_findings_min_severity"] == "high"
    assert [(e["event"], e["in_app"], e["email"]) for e in body["events"]] == [
        ("scan_completed", True, True),
        ("scan_failed", True, True),
        ("finding_assigned", True, True),
        ("acceptance_expiring", True, None),
        ("acceptance_expired", True, True),
        ("sla_breach", True, None),
    ]
    assert all(e["label"] for e in body["events"])


def test_preferences_change_only_what_is_named_and_show_in_the_profile():
    me = UserFactory()
    client = client_as(me)
    response = client.patch(
        "/api/v1/notifications/preferences/",
        {
            "events": [
                {"event": "scan_completed", "in_app": False},
                {"event": "finding_assigned", "email": False},
            ]
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    events = {e["event"]: e for e in response.json()["events"]}
    assert (events["scan_completed"]["in_app"], events["scan_completed"]["email"]) == (False, True)
    assert (events["finding_assigned"]["in_app"], events["finding_assigned"]["email"]) == (
        True,
        False,
    )
    # The expiry email kept its value: it followed the assignment switch only until now.
    assert events["acceptance_expired"]["email"] is True
    profile = client.get("/api/v1/auth/profile/").json()["notification_preferences"]
    assert profile == {
        "email_enabled": True,
        "scan_completed": True,
        "scan_failed": True,
        "finding_assigned": False,
        "new_findings_min_severity": "high",
    }
    # The profile's own form leaves the in-app switches alone.
    client.patch(
        "/api/v1/auth/profile/", {"notification_preferences": {"scan_failed": False}}, format="json"
    )
    events = {
        e["event"]: e for e in client.get("/api/v1/notifications/preferences/").json()["events"]
    }
    assert events["scan_completed"]["in_app"] is False
    assert events["scan_failed"]["email"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"events": [{"event": "sla_breach", "email": True}]}, "events"),
        ({"events": [{"event": "nonsense", "in_app": True}]}, "events"),
        ({"events": [{"event": "scan_failed", "in_app": "maybe"}]}, "events"),
        ({"events": "all"}, "events"),
        ({"events": [{"event": "scan_failed"}] * 51}, "events"),
        ({"new_findings_min_severity": "worst"}, "new_findings_min_severity"),
        ({"email_enabled": [1]}, "email_enabled"),
    ],
)
def test_bad_preferences_are_a_400(body, field):
    response = client_as(UserFactory()).patch(
        "/api/v1/notifications/preferences/", body, format="json"
    )
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert any(key.startswith(field) for key in error["fields"]), error
