"""Creating project-scoped API keys: which projects and scopes a caller may pick."""

from __future__ import annotations

import pytest

from apps.accounts.models import ApiKey
from apps.accounts.services import api_key_create
from apps.accounts.tests.utils import token_client
from apps.common.roles import ProjectRole
from apps.common.testing.factories import (
    OrganizationMembershipFactory,
    ProjectFactory,
    ProjectMembershipFactory,
    UserFactory,
)
from apps.organizations.models import OrganizationRole

pytestmark = pytest.mark.django_db

URL = "/api/v1/api-keys/"


def _project_with(user, role: str):
    project = ProjectFactory(name=f"Project of {role}")
    ProjectMembershipFactory(project=project, user=user, role=role)
    return project


def _create(client, **payload):
    return client.post(URL, payload, format="json")


def test_a_member_creates_an_import_key_for_their_project(client_for, user):
    project = _project_with(user, ProjectRole.MEMBER)

    response = client_for(user).post(
        URL, {"name": "CI", "project": project.pk, "scopes": ["import"]}, format="json"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    # Import implies read: the key shows everything it can do.
    assert (body["project"], body["project_name"], body["scopes"]) == (
        project.pk,
        project.name,
        ["read", "import"],
    )
    assert body["key"].startswith("sl_")
    stored = ApiKey.objects.get(pk=body["id"])
    assert (stored.project_id, stored.scopes) == (project.pk, ["read", "import"])
    listed = client_for(user).get(URL).json()["results"][0]
    assert (listed["project"], listed["project_name"], listed["scopes"]) == (
        project.pk,
        project.name,
        ["read", "import"],
    )
    assert "key" not in listed


def test_a_key_without_a_project_has_no_scopes(client_for, user):
    body = client_for(user).post(URL, {"name": "everything"}, format="json").json()

    assert (body["project"], body["project_name"], body["scopes"]) == (None, None, [])


def test_scopes_are_deduplicated_in_a_fixed_order(client_for, user):
    project = _project_with(user, ProjectRole.OWNER)

    body = (
        client_for(user)
        .post(
            URL,
            {"name": "CI", "project": project.pk, "scopes": ["scan", "read", "scan", "import"]},
            format="json",
        )
        .json()
    )

    assert body["scopes"] == ["read", "import", "scan"]


def test_an_auditor_may_create_a_read_key_only(client_for, user):
    project = _project_with(user, ProjectRole.AUDITOR)
    client = client_for(user)

    read = _create(client, name="r", project=project.pk, scopes=["read"])
    scan = _create(client, name="s", project=project.pk, scopes=["scan"])

    assert read.status_code == 201
    assert scan.status_code == 400
    error = scan.json()["error"]
    assert list(error["fields"]) == ["scopes"]
    assert "member" in error["fields"]["scopes"][0]
    assert list(ApiKey.objects.values_list("name", flat=True)) == ["r"]


def test_an_organization_member_reaches_its_projects_as_auditor(client_for, user):
    membership = OrganizationMembershipFactory(user=user, role=OrganizationRole.MEMBER)
    project = ProjectFactory(owner_user=None, organization=membership.organization)
    client = client_for(user)

    read = _create(client, name="r", project=project.pk, scopes=["read"])
    imp = _create(client, name="i", project=project.pk, scopes=["import"])

    assert read.status_code == 201
    assert imp.status_code == 400


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"scopes": ["read"]}, "scopes"),  # scopes need a project
        ({"project": "__mine__", "scopes": []}, "scopes"),
        ({"project": "__mine__"}, "scopes"),
        ({"project": "__mine__", "scopes": ["admin"]}, "scopes.0"),
        ({"project": "__mine__", "scopes": "read"}, "scopes"),
        ({"project": "__theirs__", "scopes": ["read"]}, "project"),
        ({"project": 999999, "scopes": ["read"]}, "project"),
        ({"project": "abc", "scopes": ["read"]}, "project"),
    ],
)
def test_invalid_project_or_scopes_are_a_400(client_for, user, payload, field):
    mine = _project_with(user, ProjectRole.OWNER)
    theirs = _project_with(UserFactory(), ProjectRole.OWNER)
    substitutes = {"__mine__": mine.pk, "__theirs__": theirs.pk}
    payload = {k: substitutes.get(v, v) if isinstance(v, str) else v for k, v in payload.items()}

    response = client_for(user).post(URL, {"name": "bad", **payload}, format="json")

    assert response.status_code == 400, response.json()
    assert list(response.json()["error"]["fields"]) == [field]
    assert not ApiKey.objects.exists()


def test_another_projects_id_gets_the_same_answer_as_a_missing_one(client_for, user):
    theirs = _project_with(UserFactory(), ProjectRole.OWNER)
    client = client_for(user)

    hidden = _create(client, name="x", project=theirs.pk, scopes=["read"])
    missing = _create(client, name="x", project=999999, scopes=["read"])

    assert hidden.json()["error"]["fields"] == missing.json()["error"]["fields"]


def test_a_scoped_key_cannot_create_keys(user):
    project = _project_with(user, ProjectRole.OWNER)
    _, key = api_key_create(user=user, name="ci", project_id=project.pk, scopes=["read", "import"])

    response = token_client(key).post(URL, {"name": "escalate"}, format="json")

    assert response.status_code == 403
    assert response.json()["error"]["message"] == (
        f'This API key is limited to project "{project.name}" (read, import).'
    )
    assert ApiKey.objects.count() == 1


def test_revoking_a_scoped_key_stops_it(client_for, user):
    project = _project_with(user, ProjectRole.OWNER)
    client = client_for(user)
    created = client.post(
        URL, {"name": "ci", "project": project.pk, "scopes": ["read"]}, format="json"
    ).json()
    assert token_client(created["key"]).get(f"/api/v1/projects/{project.pk}/").status_code == 200

    assert client.delete(f"{URL}{created['id']}/").status_code == 204

    refused = token_client(created["key"]).get(f"/api/v1/projects/{project.pk}/")
    assert refused.status_code == 401
