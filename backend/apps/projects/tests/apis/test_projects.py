"""Projects API: create, list by role, update and delete by owners only."""

import pytest

from apps.common.roles import ProjectRole
from apps.common.testing.factories import (
    OrganizationMembershipFactory,
    ProjectFactory,
    UserFactory,
)
from apps.organizations.models import OrganizationRole
from apps.projects.models import ProjectMembership

pytestmark = pytest.mark.django_db


def test_create_project_makes_the_creator_its_owner(client_for):
    user = UserFactory()
    response = client_for(user).post("/api/v1/projects/", {"name": "Web shop"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "Web shop"
    assert body["role"] == "owner"
    assert body["owner_user"]["id"] == user.id
    assert ProjectMembership.objects.get(project_id=body["id"]).role == ProjectRole.OWNER


def test_project_name_is_unique_per_owner(client_for):
    user = UserFactory()
    ProjectFactory(owner_user=user, name="Shop")
    ProjectFactory(name="Shop")  # another owner may reuse it
    response = client_for(user).post("/api/v1/projects/", {"name": "Shop"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "name_taken"


def test_list_shows_only_projects_with_a_role(client_for, project_with_roles):
    ProjectFactory(name="Someone else's")
    for user in (project_with_roles.owner, project_with_roles.member, project_with_roles.auditor):
        body = client_for(user).get("/api/v1/projects/").json()
        assert [p["name"] for p in body["results"]] == [project_with_roles.project.name]
    assert client_for(project_with_roles.outsider).get("/api/v1/projects/").json()["count"] == 0


def test_organization_members_see_org_projects_as_auditors(client_for):
    membership = OrganizationMembershipFactory(role=OrganizationRole.MEMBER)
    project = ProjectFactory(owner_user=None, organization=membership.organization)
    body = client_for(membership.user).get(f"/api/v1/projects/{project.id}/").json()
    assert body["role"] == "auditor"


def test_org_member_cannot_create_org_project_but_admin_can(client_for):
    member = OrganizationMembershipFactory(role=OrganizationRole.MEMBER)
    admin = OrganizationMembershipFactory(
        organization=member.organization, role=OrganizationRole.ADMIN
    )
    payload = {"name": "Org app", "organization": member.organization.id}
    denied = client_for(member.user).post("/api/v1/projects/", payload)
    assert denied.status_code == 403
    created = client_for(admin.user).post("/api/v1/projects/", payload)
    assert created.status_code == 201
    assert created.json()["organization"]["id"] == member.organization.id


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 200), ("member", 403), ("auditor", 403), ("outsider", 404), ("staff", 200)],
)
def test_only_owners_rename_a_project(client_for, project_with_roles, who, expected):
    user = getattr(project_with_roles, who)
    url = f"/api/v1/projects/{project_with_roles.project.id}/"
    response = client_for(user).patch(url, {"name": "Renamed"})
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["name"] == "Renamed"
    else:
        assert response.json()["error"]["status"] == expected


def test_owner_cannot_remove_the_last_owner(client_for, project_with_roles):
    project = project_with_roles.project
    owner_membership = ProjectMembership.objects.get(project=project, user=project_with_roles.owner)
    response = client_for(project_with_roles.owner).delete(
        f"/api/v1/projects/{project.id}/members/{owner_membership.id}/"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "project_owner"


def test_owner_moves_a_personal_project_into_an_organization_they_administer(client_for):
    admin = OrganizationMembershipFactory(role=OrganizationRole.ADMIN)
    project = ProjectFactory(owner_user=admin.user, name="Moved")
    ProjectMembership.objects.create(project=project, user=admin.user, role=ProjectRole.OWNER)
    response = client_for(admin.user).patch(
        f"/api/v1/projects/{project.id}/", {"organization": admin.organization.id}
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["organization"]["id"] == admin.organization.id
    assert body["owner_user"] is None
    assert body["role"] == "owner"


def test_a_project_cannot_move_into_an_organization_where_the_user_is_a_plain_member(
    client_for,
):
    member = OrganizationMembershipFactory(role=OrganizationRole.MEMBER)
    project = ProjectFactory(owner_user=member.user)
    ProjectMembership.objects.create(project=project, user=member.user, role=ProjectRole.OWNER)
    response = client_for(member.user).patch(
        f"/api/v1/projects/{project.id}/", {"organization": member.organization.id}
    )
    assert response.status_code == 403
    project.refresh_from_db()
    assert project.organization_id is None
    assert project.owner_user_id == member.user.id


def test_moving_refuses_a_name_the_organization_already_uses(client_for):
    admin = OrganizationMembershipFactory(role=OrganizationRole.ADMIN)
    ProjectFactory(owner_user=None, organization=admin.organization, name="Shop")
    project = ProjectFactory(owner_user=admin.user, name="Shop")
    ProjectMembership.objects.create(project=project, user=admin.user, role=ProjectRole.OWNER)
    response = client_for(admin.user).patch(
        f"/api/v1/projects/{project.id}/", {"organization": admin.organization.id}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "name_taken"


def test_an_organization_admin_makes_an_organization_project_personal(client_for):
    admin = OrganizationMembershipFactory(role=OrganizationRole.ADMIN)
    project = ProjectFactory(owner_user=None, organization=admin.organization)
    response = client_for(admin.user).patch(
        f"/api/v1/projects/{project.id}/", {"organization": None}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["organization"] is None
    assert body["owner_user"]["id"] == admin.user.id
    assert body["role"] == "owner"
