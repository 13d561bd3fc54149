"""Bulk assignment to any member of the selected findings' projects, not only oneself."""

from __future__ import annotations

import pytest

from apps.common.roles import ProjectRole
from apps.common.testing.factories import (
    FindingFactory,
    OrganizationFactory,
    OrganizationMembershipFactory,
    ProjectFactory,
    ProjectMembershipFactory,
)

pytestmark = pytest.mark.django_db

ASSIGNEES = "/api/v1/findings/bulk/assignees/"
BULK = "/api/v1/findings/bulk/"


@pytest.fixture
def two_projects(project_with_roles):
    """The member triages in two projects; only some people are in both."""
    roles = project_with_roles
    other = ProjectFactory(owner_user=roles.owner)
    ProjectMembershipFactory(project=other, user=roles.owner, role=ProjectRole.OWNER)
    ProjectMembershipFactory(project=other, user=roles.member, role=ProjectRole.MEMBER)
    ProjectMembershipFactory(project=other, user=roles.auditor, role=ProjectRole.AUDITOR)
    only_other = ProjectMembershipFactory(project=other, role=ProjectRole.MEMBER).user
    first = FindingFactory(project=roles.project)
    second = FindingFactory(project=other)
    return roles, other, only_other, first, second


def usernames(response):
    assert response.status_code == 200, response.json()
    return [user["username"] for user in response.json()]


def test_assignable_users_are_the_members_of_every_selected_project(client_for, two_projects):
    roles, _other, only_other, first, second = two_projects
    client = client_for(roles.member)
    both = usernames(client.post(ASSIGNEES, {"ids": [first.pk, second.pk]}, format="json"))
    assert sorted(both) == sorted(
        [roles.owner.username, roles.member.username, roles.auditor.username]
    )
    just_second = usernames(client.post(ASSIGNEES, {"ids": [second.pk]}, format="json"))
    assert only_other.username in just_second
    by_filter = usernames(
        client.post(ASSIGNEES, {"filter": {"project": str(second.project_id)}}, format="json")
    )
    assert by_filter == just_second


def test_organization_members_are_assignable(client_for, project_with_roles):
    organization = OrganizationFactory()
    project = ProjectFactory(organization=organization, owner_user=None)
    ProjectMembershipFactory(
        project=project, user=project_with_roles.member, role=ProjectRole.MEMBER
    )
    colleague = OrganizationMembershipFactory(organization=organization).user
    finding = FindingFactory(project=project)
    names = usernames(
        client_for(project_with_roles.member).post(ASSIGNEES, {"ids": [finding.pk]}, format="json")
    )
    assert colleague.username in names


def test_bulk_assigns_to_another_member(client_for, two_projects):
    roles, _other, _only_other, first, second = two_projects
    response = client_for(roles.member).post(
        BULK, {"ids": [first.pk, second.pk], "assignee": roles.auditor.pk}, format="json"
    )
    assert response.json()["assigned"] == 2, response.json()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.assignee == second.assignee == roles.auditor


def test_bulk_refuses_someone_outside_a_selected_project(client_for, two_projects):
    roles, _other, only_other, first, second = two_projects
    response = client_for(roles.member).post(
        BULK, {"ids": [first.pk, second.pk], "assignee": only_other.pk}, format="json"
    )
    assert response.status_code == 400
    [message] = response.json()["error"]["fields"]["assignee"]
    assert message.startswith(
        f'{only_other.username} is not a member of project "{roles.project.name}"'
    )
    first.refresh_from_db()
    assert first.assignee is None


def test_findings_out_of_reach_are_a_404(client_for, two_projects):
    stranger_finding = FindingFactory()
    roles = two_projects[0]
    response = client_for(roles.member).post(
        ASSIGNEES, {"ids": [stranger_finding.pk]}, format="json"
    )
    assert response.status_code == 404
    assert (
        client_for(roles.outsider)
        .post(ASSIGNEES, {"ids": [two_projects[3].pk]}, format="json")
        .status_code
        == 404
    )


def test_for_filtering_anyone_with_a_role_in_any_selected_project(client_for, two_projects):
    """The list's assignee filter offers the people of every project in view, not only those
    in all of them; people of a project the caller cannot see stay out."""
    roles, _other, only_other, _first, _second = two_projects
    unseen = ProjectMembershipFactory(project=ProjectFactory(), role=ProjectRole.MEMBER)
    FindingFactory(project=unseen.project)
    names = usernames(
        client_for(roles.member).post(ASSIGNEES, {"filter": {}, "any_project": True}, format="json")
    )
    assert sorted(names) == sorted(
        [roles.owner.username, roles.member.username, roles.auditor.username, only_other.username]
    )
    every = usernames(client_for(roles.member).post(ASSIGNEES, {"filter": {}}, format="json"))
    assert only_other.username not in every
