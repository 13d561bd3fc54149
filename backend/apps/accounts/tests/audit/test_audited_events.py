"""The events the audit log records from existing flows: sign-out, API keys, role changes."""

import pytest

from apps.accounts.audit import AuditAction, AuditEvent
from apps.accounts.tests.utils import login
from apps.common.roles import ProjectRole
from apps.common.testing.factories import (
    OrganizationFactory,
    OrganizationMembershipFactory,
    ProjectFactory,
    ProjectMembershipFactory,
    UserFactory,
)
from apps.organizations.models import OrganizationRole

pytestmark = pytest.mark.django_db


def test_sign_out_is_audited(api_client, user):
    login(api_client, "alice")

    api_client.post("/api/v1/auth/logout/")

    event = AuditEvent.objects.get(action=AuditAction.SIGN_OUT)
    assert event.actor == user


def test_api_key_creation_and_revocation_are_audited_without_the_key(client_for, user):
    client = client_for(user)
    created = client.post("/api/v1/api-keys/", {"name": "ci"}, format="json").json()

    client.delete(f"/api/v1/api-keys/{created['id']}/")

    made = AuditEvent.objects.get(action=AuditAction.API_KEY_CREATED)
    revoked = AuditEvent.objects.get(action=AuditAction.API_KEY_REVOKED)
    assert made.actor == user
    assert made.detail["name"] == "ci"
    assert made.detail["prefix"] == created["prefix"]
    assert created["key"] not in str(made.detail)
    assert revoked.actor == user
    assert revoked.detail["api_key_id"] == created["id"]


def test_organization_role_change_is_audited_with_the_organization(client_for):
    organization = OrganizationFactory()
    owner = OrganizationMembershipFactory(organization=organization, role=OrganizationRole.OWNER)
    member = OrganizationMembershipFactory(
        organization=organization, role=OrganizationRole.MEMBER, user=UserFactory(username="bob")
    )

    response = client_for(owner.user).patch(
        f"/api/v1/organizations/{organization.id}/members/{member.id}/",
        {"role": "admin"},
        format="json",
    )

    assert response.status_code == 200, response.json()
    event = AuditEvent.objects.get(action=AuditAction.ROLE_CHANGED)
    assert event.actor == owner.user
    assert event.organization == organization
    assert event.detail == {
        "scope": "organization",
        "project_id": None,
        "member_id": member.user_id,
        "member": "bob",
        "old_role": "member",
        "new_role": "admin",
    }


def test_project_role_change_is_audited(client_for):
    project = ProjectFactory()
    owner = ProjectMembershipFactory(project=project, role=ProjectRole.OWNER)
    member = ProjectMembershipFactory(project=project, role=ProjectRole.MEMBER)

    response = client_for(owner.user).patch(
        f"/api/v1/projects/{project.id}/members/{member.id}/", {"role": "auditor"}, format="json"
    )
    client_for(owner.user).delete(f"/api/v1/projects/{project.id}/members/{member.id}/")

    assert response.status_code == 200, response.json()
    changes = list(
        AuditEvent.objects.filter(action=AuditAction.ROLE_CHANGED)
        .order_by("id")
        .values_list("detail__old_role", "detail__new_role", "detail__scope")
    )
    assert changes == [("member", "auditor", "project"), ("auditor", None, "project")]


def test_granting_staff_is_audited_as_a_platform_role_change(client_for, staff, user):
    response = client_for(staff).patch(
        f"/api/v1/admin/users/{user.id}/", {"is_staff": True}, format="json"
    )

    assert response.status_code == 200, response.json()
    event = AuditEvent.objects.get(action=AuditAction.ROLE_CHANGED)
    assert event.actor == staff
    assert event.detail == {
        "scope": "platform",
        "member_id": user.id,
        "member": "alice",
        "old_role": "user",
        "new_role": "staff",
    }
