"""An organization's "require 2FA" policy: owners set it, with a factor of their own."""

import pytest
from django.utils import timezone

from apps.accounts.audit import AuditAction, AuditEvent
from apps.accounts.models import TotpDevice
from apps.common.testing.factories import OrganizationFactory, OrganizationMembershipFactory
from apps.organizations.models import OrganizationRole

pytestmark = pytest.mark.django_db


@pytest.fixture
def organization():
    return OrganizationFactory()


def _member(organization, role):
    return OrganizationMembershipFactory(organization=organization, role=role).user


def _with_totp(user):
    TotpDevice.objects.create(user=user, secret="JBSWY3DPEHPK3PXP", confirmed_at=timezone.now())
    return user


def test_an_owner_with_a_factor_requires_mfa_and_it_is_audited(client_for, organization):
    owner = _with_totp(_member(organization, OrganizationRole.OWNER))

    response = client_for(owner).patch(
        f"/api/v1/organizations/{organization.id}/", {"require_mfa": True}, format="json"
    )

    assert response.status_code == 200, response.json()
    assert response.json()["require_mfa"] is True
    organization.refresh_from_db()
    assert organization.require_mfa
    event = AuditEvent.objects.get(action=AuditAction.ORGANIZATION_POLICY_CHANGED)
    assert event.organization == organization
    assert event.detail == {"require_mfa": True}


def test_an_owner_without_a_factor_is_told_to_enrol_first(client_for, organization):
    owner = _member(organization, OrganizationRole.OWNER)

    response = client_for(owner).patch(
        f"/api/v1/organizations/{organization.id}/", {"require_mfa": True}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "mfa_not_enabled"


def test_admins_cannot_change_the_policy(client_for, organization):
    admin = _with_totp(_member(organization, OrganizationRole.ADMIN))

    response = client_for(admin).patch(
        f"/api/v1/organizations/{organization.id}/", {"require_mfa": True}, format="json"
    )

    assert response.status_code == 403
    organization.refresh_from_db()
    assert not organization.require_mfa
