"""GET /audit-events/: staff see all, organization owners their organizations', others 403;
filters, paging and the streamed JSON export."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.accounts.audit import AuditAction, AuditEvent, audit_record
from apps.common.testing.factories import (
    OrganizationFactory,
    OrganizationMembershipFactory,
    UserFactory,
)
from apps.organizations.models import OrganizationRole

pytestmark = pytest.mark.django_db
URL = "/api/v1/audit-events/"


@pytest.fixture
def events():
    acme, other = OrganizationFactory(name="Acme"), OrganizationFactory(name="Other")
    bob = UserFactory(username="bob")
    audit_record(AuditAction.SIGN_IN, actor=bob, method="password")
    audit_record(AuditAction.ROLE_CHANGED, actor=bob, organization=acme, new_role="admin")
    audit_record(AuditAction.API_KEY_CREATED, actor=bob, organization=other, name="ci")
    old = audit_record(AuditAction.SIGN_IN_FAILED, username="mallory")
    AuditEvent.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=10))
    return acme, other, bob


def _actions(response):
    assert response.status_code == 200, response.json()
    return sorted(row["action"] for row in response.json()["results"])


def test_staff_read_every_event(client_for, staff, events):
    body = client_for(staff).get(URL).json()

    assert body["count"] == 4
    first = body["results"][0]
    assert set(first) == {
        "id",
        "at",
        "action",
        "actor",
        "actor_username",
        "ip",
        "user_agent",
        "organization",
        "organization_name",
        "detail",
    }


def test_owners_read_only_their_organizations_events(client_for, events):
    acme, _, _ = events
    owner = OrganizationMembershipFactory(organization=acme, role=OrganizationRole.OWNER).user

    response = client_for(owner).get(URL)

    assert _actions(response) == ["role_changed"]
    assert response.json()["results"][0]["organization_name"] == "Acme"


@pytest.mark.parametrize("role", [OrganizationRole.ADMIN, OrganizationRole.MEMBER])
def test_other_users_are_refused(client_for, events, role):
    acme, _, _ = events
    user = OrganizationMembershipFactory(organization=acme, role=role).user

    response = client_for(user).get(URL)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_anonymous_callers_are_refused(api_client, events):
    assert api_client.get(URL).status_code in (401, 403)


def test_filters(client_for, staff, events):
    acme, _, bob = events
    client = client_for(staff)
    since = (timezone.now() - timedelta(days=1)).isoformat()
    until = (timezone.now() - timedelta(days=1)).isoformat()

    assert _actions(client.get(URL, {"action": "sign_in"})) == ["sign_in"]
    assert _actions(client.get(URL, {"action": ["sign_in", "sign_in_failed"]})) == [
        "sign_in",
        "sign_in_failed",
    ]
    assert _actions(client.get(URL, {"action": "sign_in,role_changed"})) == [
        "role_changed",
        "sign_in",
    ]
    assert len(_actions(client.get(URL, {"actor": bob.id}))) == 3
    assert _actions(client.get(URL, {"organization": acme.id})) == ["role_changed"]
    assert len(_actions(client.get(URL, {"since": since}))) == 3
    assert _actions(client.get(URL, {"until": until})) == ["sign_in_failed"]
    assert _actions(client.get(URL, {"actor_username": "MALLORY"})) == ["sign_in_failed"]
    assert client.get(URL, {"page_size": 2}).json()["next"]


@pytest.mark.parametrize(
    "query", [{"action": "nope"}, {"actor": "99999999999999999999999"}, {"since": "yesterday"}]
)
def test_bad_filters_are_400(client_for, staff, events, query):
    response = client_for(staff).get(URL, query)

    assert response.status_code == 400
    assert "fields" in response.json()["error"]


def test_export_streams_the_filtered_events_as_json(client_for, staff, events):
    response = client_for(staff).get(f"{URL}export/", {"action": ["sign_in", "role_changed"]})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="seculite-audit-')
    rows = json.loads(b"".join(response.streaming_content))
    assert sorted(row["action"] for row in rows) == ["role_changed", "sign_in"]


def test_owners_export_only_their_events(client_for, events):
    acme, _, _ = events
    owner = OrganizationMembershipFactory(organization=acme, role=OrganizationRole.OWNER).user

    response = client_for(owner).get(f"{URL}export/")

    rows = json.loads(b"".join(response.streaming_content))
    assert [row["action"] for row in rows] == ["role_changed"]
