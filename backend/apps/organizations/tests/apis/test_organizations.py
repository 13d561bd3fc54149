"""Organizations API: creation, visibility to members only, who may edit or delete."""

from __future__ import annotations

import pytest

from apps.common.testing.factories import (
    OrganizationFactory,
    OrganizationMembershipFactory,
    ProjectFactory,
    UserFactory,
)
from apps.organizations.models import Organization, OrganizationMembership, OrganizationRole

pytestmark = pytest.mark.django_db


@pytest.fixture
def org_with_roles(db):
    """An organization with one user per role, an outsider and a staff user."""
    organization = OrganizationFactory(name="Acme", slug="acme")
    users = {
        role: OrganizationMembershipFactory(organization=organization, role=role).user
        for role in (OrganizationRole.OWNER, OrganizationRole.ADMIN, OrganizationRole.MEMBER)
    }
    users["outsider"] = UserFactory()
    users["staff"] = UserFactory(is_staff=True)
    return organization, users


def test_any_user_creates_an_organization_and_owns_it(client_for):
    user = UserFactory()
    response = client_for(user).post(
        "/api/v1/organizations/", {"name": "Acme Security GmbH", "description": "AppSec"}
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["slug"] == "acme-security-gmbh"
    assert (body["name"], body["description"], body["role"], body["member_count"]) == (
        "Acme Security GmbH",
        "AppSec",
        "owner",
        1,
    )
    membership = OrganizationMembership.objects.get(organization_id=body["id"])
    assert (membership.user, membership.role) == (user, OrganizationRole.OWNER)
    assert Organization.objects.get(pk=body["id"]).created_by == user


def test_derived_slug_is_made_unique(client_for):
    OrganizationFactory(slug="acme")
    OrganizationFactory(slug="acme-2")
    response = client_for(UserFactory()).post("/api/v1/organizations/", {"name": "ACME"})
    assert response.status_code == 201
    assert response.json()["slug"] == "acme-3"


def test_name_without_slug_characters_still_gets_a_slug(client_for):
    response = client_for(UserFactory()).post("/api/v1/organizations/", {"name": "株式会社"})
    assert response.status_code == 201
    assert response.json()["slug"] == "organization"


@pytest.mark.parametrize(
    ("slug", "status", "message"),
    [
        ("team-red", 201, None),
        ("acme", 400, "An organization with this slug already exists."),
        ("Team Red", 400, "Use lowercase letters"),
        ("-team", 400, "Use lowercase letters"),
        ("team--red", 400, "Use lowercase letters"),
    ],
)
def test_given_slug_is_validated(client_for, slug, status, message):
    OrganizationFactory(slug="acme")
    response = client_for(UserFactory()).post(
        "/api/v1/organizations/", {"name": "Team", "slug": slug}
    )
    assert response.status_code == status
    if message:
        assert message in response.json()["error"]["fields"]["slug"][0]
        assert not Organization.objects.filter(name="Team").exists()
    else:
        assert Organization.objects.get(name="Team").slug == slug


def test_list_shows_only_organizations_of_the_caller(client_for, org_with_roles):
    _, users = org_with_roles
    OrganizationFactory(name="Other")
    for role in ("owner", "admin", "member"):
        body = client_for(users[role]).get("/api/v1/organizations/").json()
        assert [(o["name"], o["role"], o["member_count"]) for o in body["results"]] == [
            ("Acme", role, 3)
        ]
    assert client_for(users["outsider"]).get("/api/v1/organizations/").json()["count"] == 0
    staff_body = client_for(users["staff"]).get("/api/v1/organizations/").json()
    assert [o["name"] for o in staff_body["results"]] == ["Acme", "Other"]


def test_list_searches_and_filters(client_for):
    user = UserFactory()
    for name, slug in (("Blue Team", "blue"), ("Red Team", "red"), ("Gold", "gold")):
        OrganizationMembershipFactory(
            user=user, organization=OrganizationFactory(name=name, slug=slug)
        )
    client = client_for(user)

    def names(query: str) -> list[str]:
        return [o["name"] for o in client.get("/api/v1/organizations/" + query).json()["results"]]

    assert names("?search=team") == ["Blue Team", "Red Team"]
    assert names("?slug=gold") == ["Gold"]
    assert names("?ordering=-name") == ["Red Team", "Gold", "Blue Team"]


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 200), ("admin", 200), ("member", 200), ("outsider", 404), ("staff", 200)],
)
def test_retrieve_needs_membership(client_for, org_with_roles, who, expected):
    organization, users = org_with_roles
    response = client_for(users[who]).get(f"/api/v1/organizations/{organization.id}/")
    assert response.status_code == expected
    if expected == 200:
        assert response.json()["slug"] == "acme"
    else:
        assert response.json()["error"] == {
            "status": 404,
            "code": "not_found",
            "message": "Not found.",
        }


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 200), ("admin", 200), ("member", 403), ("outsider", 404), ("staff", 200)],
)
def test_owners_and_admins_edit(client_for, org_with_roles, who, expected):
    organization, users = org_with_roles
    response = client_for(users[who]).patch(
        f"/api/v1/organizations/{organization.id}/", {"name": "Acme Corp", "slug": "acme-corp"}
    )
    assert response.status_code == expected
    organization.refresh_from_db()
    if expected == 200:
        assert response.json()["name"] == "Acme Corp"
        assert (organization.name, organization.slug) == ("Acme Corp", "acme-corp")
    else:
        assert response.json()["error"]["status"] == expected
        assert (organization.name, organization.slug) == ("Acme", "acme")


def test_edit_to_a_taken_slug_is_a_field_error(client_for, org_with_roles):
    organization, users = org_with_roles
    OrganizationFactory(slug="taken")
    response = client_for(users["owner"]).patch(
        f"/api/v1/organizations/{organization.id}/", {"slug": "taken"}
    )
    assert response.status_code == 400
    assert "slug" in response.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 204), ("admin", 403), ("member", 403), ("outsider", 404), ("staff", 204)],
)
def test_only_owners_delete(client_for, org_with_roles, who, expected):
    organization, users = org_with_roles
    response = client_for(users[who]).delete(f"/api/v1/organizations/{organization.id}/")
    assert response.status_code == expected
    assert Organization.objects.filter(pk=organization.pk).exists() == (expected != 204)


def test_an_organization_with_projects_is_not_deleted(client_for, org_with_roles):
    organization, users = org_with_roles
    ProjectFactory(owner_user=None, organization=organization)
    response = client_for(users["owner"]).delete(f"/api/v1/organizations/{organization.id}/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "organization_has_projects"
    assert Organization.objects.filter(pk=organization.pk).exists()


def test_put_is_not_offered(client_for, org_with_roles):
    organization, users = org_with_roles
    response = client_for(users["owner"]).put(
        f"/api/v1/organizations/{organization.id}/", {"name": "X"}
    )
    assert response.status_code == 405
    assert response.json()["error"]["status"] == 405
