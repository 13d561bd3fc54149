"""Organization members API: who sees and manages members; the last owner stays."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from apps.common.roles import ProjectRole
from apps.common.testing.factories import (
    OrganizationFactory,
    OrganizationMembershipFactory,
    ProjectFactory,
    ProjectMembershipFactory,
    UserFactory,
)
from apps.organizations.models import OrganizationMembership, OrganizationRole
from apps.projects.models import ProjectMembership

pytestmark = pytest.mark.django_db

ACCEPT_URL = "/api/v1/organizations/invitations/accept/"
INVITATION_LINK = re.compile(r"http://\S+/invitations/accept\?token=(?P<token>[\w:.-]+)")


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


def colleague_of(user):
    """A new account that shares a project with `user`: someone they can already see."""
    colleague = UserFactory()
    project = ProjectFactory()
    ProjectMembershipFactory(project=project, user=user, role=ProjectRole.OWNER)
    ProjectMembershipFactory(project=project, user=colleague, role=ProjectRole.MEMBER)
    return colleague


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
    newcomer = colleague_of(memberships[who].user)
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


def test_adding_by_id_reveals_no_account_outside_the_callers_reach(client_for, org):
    """An outsider's id, a missing id and an inactive account's id get the same answer, and
    nobody is added without an invitation they accepted."""
    organization, memberships = org
    owner = client_for(memberships["owner"].user)
    outsider = UserFactory()
    inactive = colleague_of(memberships["owner"].user)
    inactive.is_active = False
    inactive.save()
    answers = [
        owner.post(_url(organization), {"user": user_id, "role": "member"})
        for user_id in (outsider.id, 987654321, inactive.id)
    ]
    assert {answer.status_code for answer in answers} == {400}
    assert len({str(answer.json()["error"]) for answer in answers}) == 1
    assert OrganizationMembership.objects.filter(organization=organization).count() == 3


def _invite(client, organization, email: str, role: str = "member"):
    return client.post(_url(organization), {"email": email, "role": role})


def _accept_token(message) -> str:
    match = INVITATION_LINK.search(message.body)
    assert match, message.body
    return match["token"]


def test_inviting_by_email_answers_the_same_whether_or_not_an_account_exists(client_for, org):
    organization, memberships = org
    UserFactory(email="New.Person@Example.com")
    client = client_for(memberships["admin"].user)

    known = _invite(client, organization, "new.person@example.com")
    unknown = _invite(client, organization, "nobody@example.com")
    already = _invite(client, organization, memberships["member"].user.email)

    assert known.status_code == unknown.status_code == already.status_code == 202
    bodies = [
        r.json()["detail"].replace(address, "X")
        for r, address in [
            (known, "new.person@example.com"),
            (unknown, "nobody@example.com"),
            (already, memberships["member"].user.email),
        ]
    ]
    assert bodies[0] == bodies[1] == bodies[2]
    # Nobody joins before accepting, so the member list tells nothing either.
    assert OrganizationMembership.objects.filter(organization=organization).count() == 3
    assert [m.to for m in mail.outbox] == [
        ["new.person@example.com"],
        ["nobody@example.com"],
        [memberships["member"].user.email],
    ]
    first, second = (m.body.replace(m.to[0], "X") for m in mail.outbox[:2])
    assert INVITATION_LINK.sub("LINK", first) == INVITATION_LINK.sub("LINK", second)


def test_the_invited_person_joins_by_accepting_with_their_account(client_for, org):
    organization, memberships = org
    _invite(client_for(memberships["admin"].user), organization, "new.person@example.com", "admin")
    token = _accept_token(mail.outbox[0])
    # Someone else who got hold of the link cannot use it.
    stranger = UserFactory(email="stranger@example.com")
    refused = client_for(stranger).post(ACCEPT_URL, {"token": token})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "invitation_for_another_address"
    # The person registers later with the invited address, then accepts.
    newcomer = UserFactory(email="New.Person@Example.com")

    response = client_for(newcomer).post(ACCEPT_URL, {"token": token})

    assert response.status_code == 201, response.json()
    assert response.json()["organization"] == organization.id
    assert (
        OrganizationMembership.objects.get(organization=organization, user=newcomer).role
        == OrganizationRole.ADMIN
    )
    again = client_for(newcomer).post(ACCEPT_URL, {"token": token})
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "invalid_token"  # the link works once


def test_an_invitation_lapses_when_the_inviter_loses_the_right_to_invite(client_for, org):
    organization, memberships = org
    _invite(client_for(memberships["admin"].user), organization, "new.person@example.com")
    token = _accept_token(mail.outbox[0])
    memberships["admin"].delete()
    newcomer = UserFactory(email="new.person@example.com")

    response = client_for(newcomer).post(ACCEPT_URL, {"token": token})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_token"
    assert not OrganizationMembership.objects.filter(user=newcomer).exists()


@pytest.mark.parametrize("token", ["bogus", "a:b:c"])
def test_accepting_a_bad_token_is_refused(client_for, token):
    response = client_for(UserFactory()).post(ACCEPT_URL, {"token": token})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_token"


def test_only_owners_invite_owners(client_for, org):
    organization, memberships = org
    response = _invite(
        client_for(memberships["admin"].user), organization, "new@example.com", "owner"
    )
    assert response.status_code == 403
    assert not mail.outbox


def test_removing_a_member_removes_their_roles_on_the_organizations_projects(client_for, org):
    organization, memberships = org
    admin = memberships["admin"].user
    created = client_for(admin).post(
        "/api/v1/projects/", {"name": "Admin's project", "organization": organization.id}
    )
    assert created.status_code == 201, created.json()
    project_id = created.json()["id"]
    elsewhere = ProjectFactory()
    ProjectMembershipFactory(project=elsewhere, user=admin, role=ProjectRole.MEMBER)
    assert client_for(admin).get(f"/api/v1/projects/{project_id}/").status_code == 200

    response = client_for(memberships["owner"].user).delete(
        _url(organization, memberships["admin"])
    )

    assert response.status_code == 204
    assert client_for(admin).get(f"/api/v1/projects/{project_id}/").status_code == 404
    assert not ProjectMembership.objects.filter(project_id=project_id, user=admin).exists()
    # Roles on projects outside the organization stay.
    assert ProjectMembership.objects.filter(project=elsewhere, user=admin).exists()


def test_demoting_an_admin_leaves_no_owner_role_on_a_project_they_created(client_for, org):
    organization, memberships = org
    admin = memberships["admin"].user
    created = client_for(admin).post(
        "/api/v1/projects/", {"name": "Admin's project", "organization": organization.id}
    )
    project_id = created.json()["id"]

    client_for(memberships["owner"].user).patch(
        _url(organization, memberships["admin"]), {"role": "member"}
    )

    # A plain organization member reads the organization's projects and changes nothing.
    renamed = client_for(admin).patch(f"/api/v1/projects/{project_id}/", {"name": "Mine now"})
    assert renamed.status_code == 403


@pytest.mark.parametrize(
    ("payload", "field"),
    [
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
    newcomer = colleague_of(memberships["admin"].user)
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
