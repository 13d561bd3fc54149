"""Project members by email: an invitation link, the same answer for every address."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from apps.common.roles import ProjectRole
from apps.common.testing.factories import (
    OrganizationFactory,
    OrganizationMembershipFactory,
    ProjectFactory,
    ProjectMembershipFactory,
    UserFactory,
)
from apps.organizations.models import OrganizationRole
from apps.projects.models import ProjectInvitation, ProjectMembership

pytestmark = pytest.mark.django_db

ACCEPT_URL = "/api/v1/projects/invitations/accept/"
INVITATION_LINK = re.compile(r"http://\S+/invitations/accept\?kind=project&token=(?P<token>[\w-]+)")


def _members_url(project) -> str:
    return f"/api/v1/projects/{project.id}/members/"


def _invite(client, project, email: str, role: str = "member"):
    return client.post(_members_url(project), {"email": email, "role": role})


def _token(message) -> str:
    match = INVITATION_LINK.search(message.body)
    assert match, message.body
    return match["token"]


def test_adding_by_email_answers_the_same_whether_or_not_an_account_exists(
    client_for, project_with_roles
):
    project = project_with_roles.project
    UserFactory(email="Known.Person@Example.com")
    client = client_for(project_with_roles.owner)

    known = _invite(client, project, "known.person@example.com")
    unknown = _invite(client, project, "nobody@example.com")
    already = _invite(client, project, project_with_roles.member.email)

    assert known.status_code == unknown.status_code == already.status_code == 202
    bodies = {
        r.json()["detail"].replace(address, "X")
        for r, address in [
            (known, "known.person@example.com"),
            (unknown, "nobody@example.com"),
            (already, project_with_roles.member.email),
        ]
    }
    assert len(bodies) == 1, bodies
    # Nobody joins before accepting, so the member list tells nothing either.
    assert ProjectMembership.objects.filter(project=project).count() == 3
    assert [m.to for m in mail.outbox] == [
        ["known.person@example.com"],
        ["nobody@example.com"],
        [project_with_roles.member.email],
    ]
    first, second = (m.body.replace(m.to[0], "X") for m in mail.outbox[:2])
    assert INVITATION_LINK.sub("LINK", first) == INVITATION_LINK.sub("LINK", second)
    assert project.name in first


def test_only_a_hash_of_the_link_secret_is_stored(client_for, project_with_roles):
    _invite(client_for(project_with_roles.owner), project_with_roles.project, "a@example.com")
    token = _token(mail.outbox[0])
    invitation = ProjectInvitation.objects.get()
    assert token not in {str(getattr(invitation, f.attname)) for f in invitation._meta.fields}
    assert len(invitation.key_hash) == 64


def test_the_invited_person_joins_once_with_the_invited_account(client_for, project_with_roles):
    project = project_with_roles.project
    _invite(client_for(project_with_roles.owner), project, "new.person@example.com", "auditor")
    token = _token(mail.outbox[0])
    stranger = UserFactory(email="stranger@example.com")
    refused = client_for(stranger).post(ACCEPT_URL, {"token": token})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "invitation_for_another_address"
    assert not ProjectMembership.objects.filter(user=stranger).exists()
    newcomer = UserFactory(email="New.Person@Example.com")

    response = client_for(newcomer).post(ACCEPT_URL, {"token": token})

    assert response.status_code == 201, response.json()
    assert response.json()["project"] == project.id
    assert response.json()["role"] == "auditor"
    assert ProjectMembership.objects.get(project=project, user=newcomer).role == "auditor"
    again = client_for(newcomer).post(ACCEPT_URL, {"token": token})
    assert again.status_code == 400
    assert again.json()["error"]["code"] == "invalid_token"


def test_an_invitation_expires_after_seven_days(client_for, project_with_roles):
    _invite(client_for(project_with_roles.owner), project_with_roles.project, "late@example.com")
    token = _token(mail.outbox[0])
    ProjectInvitation.objects.update(created_at=timezone.now() - timedelta(days=7, minutes=1))
    late = UserFactory(email="late@example.com")

    response = client_for(late).post(ACCEPT_URL, {"token": token})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_token"
    assert not ProjectMembership.objects.filter(user=late).exists()


def test_an_invitation_lapses_when_the_inviter_can_no_longer_grant_the_role(client_for):
    organization = OrganizationFactory()
    admin = OrganizationMembershipFactory(organization=organization, role=OrganizationRole.ADMIN)
    project = ProjectFactory(owner_user=None, organization=organization)
    _invite(client_for(admin.user), project, "new.person@example.com", "owner")
    token = _token(mail.outbox[0])
    admin.role = OrganizationRole.MEMBER  # now an auditor of the project
    admin.save()
    newcomer = UserFactory(email="new.person@example.com")

    response = client_for(newcomer).post(ACCEPT_URL, {"token": token})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_token"
    assert not ProjectMembership.objects.filter(user=newcomer).exists()


def test_an_existing_member_accepting_keeps_their_role(client_for, project_with_roles):
    project = project_with_roles.project
    _invite(client_for(project_with_roles.owner), project, project_with_roles.auditor.email)
    token = _token(mail.outbox[0])

    response = client_for(project_with_roles.auditor).post(ACCEPT_URL, {"token": token})

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "already_member"
    membership = ProjectMembership.objects.get(project=project, user=project_with_roles.auditor)
    assert membership.role == ProjectRole.AUDITOR


@pytest.mark.parametrize("token", ["bogus", "", "x" * 200])
def test_accepting_a_bad_token_is_refused(client_for, token):
    response = client_for(UserFactory()).post(ACCEPT_URL, {"token": token})
    assert response.status_code == 400
    assert response.json()["error"]["status"] == 400


def test_an_organization_invitation_token_does_not_open_a_project(client_for, project_with_roles):
    organization = OrganizationFactory()
    OrganizationMembershipFactory(
        organization=organization, user=project_with_roles.owner, role=OrganizationRole.OWNER
    )
    client_for(project_with_roles.owner).post(
        f"/api/v1/organizations/{organization.id}/members/",
        {"email": "x@example.com", "role": "member"},
    )
    token = re.search(r"token=([\w-]+)", mail.outbox[0].body)[1]  # type: ignore[index]
    response = client_for(UserFactory(email="x@example.com")).post(ACCEPT_URL, {"token": token})
    assert response.status_code == 400


@pytest.mark.parametrize("who", ["member", "auditor", "outsider"])
def test_only_owners_invite(client_for, project_with_roles, who):
    response = _invite(
        client_for(getattr(project_with_roles, who)), project_with_roles.project, "a@example.com"
    )
    assert response.status_code == (404 if who == "outsider" else 403)
    assert not mail.outbox


class TestAddingByUserId:
    """Ids are kept for people the caller already works with; any other id, existing or
    not, gets the same field error, so ids cannot be used to find accounts."""

    def _add(self, client, project, user_id):
        return client.post(_members_url(project), {"user": user_id, "role": "member"})

    def test_a_colleague_from_another_project_is_added_directly(
        self, client_for, project_with_roles
    ):
        colleague = UserFactory()
        other = ProjectFactory(owner_user=project_with_roles.owner)
        ProjectMembershipFactory(project=other, user=project_with_roles.owner, role="owner")
        ProjectMembershipFactory(project=other, user=colleague, role="auditor")

        response = self._add(
            client_for(project_with_roles.owner), project_with_roles.project, colleague.id
        )

        assert response.status_code == 201, response.json()
        assert response.json()["user"]["id"] == colleague.id

    def test_a_colleague_from_an_organization_is_added_directly(
        self, client_for, project_with_roles
    ):
        organization = OrganizationFactory()
        OrganizationMembershipFactory(organization=organization, user=project_with_roles.owner)
        colleague = OrganizationMembershipFactory(organization=organization).user

        response = self._add(
            client_for(project_with_roles.owner), project_with_roles.project, colleague.id
        )

        assert response.status_code == 201, response.json()

    def test_an_unrelated_account_and_a_missing_id_get_the_same_answer(
        self, client_for, project_with_roles
    ):
        client = client_for(project_with_roles.owner)
        stranger = UserFactory()
        inactive = UserFactory(is_active=False)
        ProjectMembershipFactory(project=project_with_roles.project, user=inactive)
        missing_id = stranger.id + 1000

        answers = [
            self._add(client, project_with_roles.project, user_id)
            for user_id in (stranger.id, missing_id, inactive.id)
        ]

        assert {r.status_code for r in answers} == {400}
        bodies = [r.json() for r in answers]
        assert bodies[0] == bodies[1] == bodies[2], bodies
        assert list(bodies[0]["error"]["fields"]) == ["user"]
        assert not ProjectMembership.objects.filter(user=stranger).exists()

    def test_staff_add_any_active_account(self, client_for, project_with_roles):
        stranger = UserFactory()
        response = self._add(
            client_for(project_with_roles.staff), project_with_roles.project, stranger.id
        )
        assert response.status_code == 201
