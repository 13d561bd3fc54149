"""Organization members API: who sees and manages members; the last owner stays."""

from __future__ import annotations

import pytest

from apps.common.testing.factories import (
    OrganizationFactory,
    OrganizationMembershipFactory,
    UserFactory,
)
from apps.organizations.models import OrganizationMembership, OrganizationRole

pytestmark = pytest.mark.django_db


@pytest.fixture
def org(db):
    organization = OrganizationFactory(name="Acme", slug="acme")
    memberships = {
        role: OrganizationMembershipFactory(
            organization=organization, role=role, user=UserFactory(username=f"{role}-user")
        )
        for role in (OrganizationRole.OWNER, OrganizationRole.ADMIN, OrganizationRole.MEMBER)
    }
    return organization, memberships


def _url(organization, membership=None) -> str:
    base = f"/api/v1/organizations/{organization.id}/members/"
    return f"{base}{membership.id}/" if membership else base


@pytest.mark.parametrize("role", ["owner", "admin", "member"])
def test_every_member_lists_members(client_for, org, role):
    organization, memberships = org
    response = client_for(memberships[role].user).get(_url(organization))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3
    assert [(m["user"]["username"], m["role"]) for m in body["results"]] == [
        ("admin-user", "admin"),
        ("member-user", "member"),
        ("owner-user", "owner"),
    ]
    detail = client_for(memberships[role].user).get(_url(organization, memberships["owner"]))
    assert detail.json()["user"]["id"] == memberships["owner"].user_id


def test_members_filter_and_search(client_for, org):
    organization, memberships = org
    client = client_for(memberships["member"].user)
    by_role = client.get(_url(organization) + "?role=admin").json()["results"]
    assert [m["user"]["username"] for m in by_role] == ["admin-user"]
    found = client.get(_url(organization) + "?search=owner-us").json()["results"]
    assert [m["role"] for m in found] == ["owner"]


def test_non_members_get_404_for_members(client_for, org):
    organization, memberships = org
    outsider = client_for(UserFactory())
    for response in (
        outsider.get(_url(organization)),
        outsider.get(_url(organization, memberships["owner"])),
        outsider.post(_url(organization), {"user": UserFactory().id, "role": "member"}),
        outsider.delete(_url(organization, memberships["member"])),
    ):
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert OrganizationMembership.objects.filter(organization=organization).count() == 3


def test_membership_of_another_organization_is_404(client_for, org):
    organization, memberships = org
    other = OrganizationMembershipFactory(user=memberships["owner"].user)
    response = client_for(memberships["owner"].user).get(_url(organization, other))
    assert response.status_code == 404


@pytest.mark.parametrize(("who", "expected"), [("owner", 201), ("admin", 201), ("member", 403)])
def test_owners_and_admins_add_members_by_id(client_for, org, who, expected):
    organization, memberships = org
    newcomer = UserFactory()
    response = client_for(memberships[who].user).post(
        _url(organization), {"user": newcomer.id, "role": "member"}
    )
    assert response.status_code == expected
    exists = OrganizationMembership.objects.filter(
        organization=organization, user=newcomer, role=OrganizationRole.MEMBER
    ).exists()
    assert exists == (expected == 201)
    if expected == 201:
        assert response.json()["user"]["id"] == newcomer.id
    else:
        assert response.json()["error"]["code"] == "permission_denied"


def test_add_member_by_email(client_for, org):
    organization, memberships = org
    newcomer = UserFactory(email="New.Person@Example.com")
    response = client_for(memberships["admin"].user).post(
        _url(organization), {"email": "new.person@example.com", "role": "admin"}
    )
    assert response.status_code == 201, response.json()
    assert response.json()["role"] == "admin"
    assert (
        OrganizationMembership.objects.get(organization=organization, user=newcomer).role
        == OrganizationRole.ADMIN
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "nobody@example.com", "role": "member"}, "email"),
        ({"role": "member"}, "user"),
        ({"user": 987654, "role": "member"}, "user"),
        ({"user": "self", "role": "boss"}, "role"),
    ],
)
def test_add_member_field_errors(client_for, org, payload, field):
    organization, memberships = org
    if payload.get("user") == "self":
        payload = {**payload, "user": UserFactory().id}
    response = client_for(memberships["owner"].user).post(_url(organization), payload)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert OrganizationMembership.objects.filter(organization=organization).count() == 3


def test_adding_an_existing_member_is_refused(client_for, org):
    organization, memberships = org
    response = client_for(memberships["owner"].user).post(
        _url(organization), {"user": memberships["member"].user_id, "role": "admin"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "already_member"
    memberships["member"].refresh_from_db()
    assert memberships["member"].role == OrganizationRole.MEMBER


def test_only_owners_hand_out_the_owner_role(client_for, org):
    organization, memberships = org
    newcomer = UserFactory()
    admin = client_for(memberships["admin"].user)
    added = admin.post(_url(organization), {"user": newcomer.id, "role": "owner"})
    promoted = admin.patch(_url(organization, memberships["member"]), {"role": "owner"})
    demoted = admin.patch(_url(organization, memberships["owner"]), {"role": "member"})
    removed = admin.delete(_url(organization, memberships["owner"]))
    for response in (added, promoted, demoted, removed):
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "permission_denied"
    assert not OrganizationMembership.objects.filter(user=newcomer).exists()
    assert list(
        OrganizationMembership.objects.filter(
            organization=organization, role=OrganizationRole.OWNER
        ).values_list("user_id", flat=True)
    ) == [memberships["owner"].user_id]


def test_owner_promotes_and_admin_changes_non_owner_roles(client_for, org):
    organization, memberships = org
    promoted = client_for(memberships["owner"].user).patch(
        _url(organization, memberships["member"]), {"role": "owner"}
    )
    assert promoted.status_code == 200
    assert promoted.json()["role"] == "owner"
    demoted = client_for(memberships["admin"].user).patch(
        _url(organization, memberships["admin"]), {"role": "member"}
    )
    assert demoted.status_code == 200
    roles = dict(
        OrganizationMembership.objects.filter(organization=organization).values_list(
            "user__username", "role"
        )
    )
    assert roles == {"owner-user": "owner", "member-user": "owner", "admin-user": "member"}


def test_member_cannot_change_roles(client_for, org):
    organization, memberships = org
    response = client_for(memberships["member"].user).patch(
        _url(organization, memberships["member"]), {"role": "admin"}
    )
    assert response.status_code == 403
    memberships["member"].refresh_from_db()
    assert memberships["member"].role == OrganizationRole.MEMBER


def test_last_owner_cannot_be_demoted_or_removed(client_for, org):
    organization, memberships = org
    owner = client_for(memberships["owner"].user)
    demoted = owner.patch(_url(organization, memberships["owner"]), {"role": "admin"})
    removed = owner.delete(_url(organization, memberships["owner"]))
    for response in (demoted, removed):
        assert response.status_code == 400
        assert response.json()["error"] == {
            "status": 400,
            "code": "last_owner",
            "message": "An organization needs at least one owner.",
        }
    memberships["owner"].refresh_from_db()
    assert memberships["owner"].role == OrganizationRole.OWNER


def test_an_owner_can_leave_once_another_owner_exists(client_for, org):
    organization, memberships = org
    memberships["admin"].role = OrganizationRole.OWNER
    memberships["admin"].save()
    response = client_for(memberships["owner"].user).delete(
        _url(organization, memberships["owner"])
    )
    assert response.status_code == 204
    assert not OrganizationMembership.objects.filter(pk=memberships["owner"].pk).exists()


def test_admin_removes_a_member(client_for, org):
    organization, memberships = org
    response = client_for(memberships["admin"].user).delete(
        _url(organization, memberships["member"])
    )
    assert response.status_code == 204
    assert not OrganizationMembership.objects.filter(pk=memberships["member"].pk).exists()


def test_staff_manage_members_of_any_organization(client_for, org):
    organization, memberships = org
    staff = client_for(UserFactory(is_staff=True))
    assert staff.get(_url(organization)).json()["count"] == 3
    response = staff.patch(_url(organization, memberships["member"]), {"role": "owner"})
    assert response.status_code == 200
    memberships["member"].refresh_from_db()
    assert memberships["member"].role == OrganizationRole.OWNER
