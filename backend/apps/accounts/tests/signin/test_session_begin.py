"""The sign-in flow: a password alone signs in only users who need no second factor."""

import pytest
from django.test import RequestFactory
from django.utils import timezone

from apps.accounts.audit import AuditAction, AuditEvent
from apps.accounts.models import RecoveryCode, TotpDevice
from apps.accounts.signin import PENDING_SESSION_KEY, session_begin, session_complete
from apps.accounts.tests.utils import login
from apps.common.testing.factories import (
    OrganizationFactory,
    OrganizationMembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
ME_URL = "/api/v1/auth/me/"


def _with_totp(user):
    TotpDevice.objects.create(user=user, secret="JBSWY3DPEHPK3PXP", confirmed_at=timezone.now())
    RecoveryCode.objects.create(user=user, code_hash="0" * 64)
    return user


def test_password_signs_in_a_user_without_a_second_factor(api_client, user):
    response = login(api_client, "alice")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "signed_in"
    assert body["user"]["id"] == user.id
    assert body["mfa_methods"] == []
    assert api_client.get(ME_URL).status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.SIGN_IN)
    assert event.actor == user
    assert event.detail == {"method": "password", "mfa": None}


def test_password_of_a_user_with_totp_leaves_the_session_pending(api_client, user):
    _with_totp(user)

    body = login(api_client, "alice").json()

    assert body == {
        "status": "mfa_required",
        "user": None,
        "mfa_methods": ["totp", "recovery_code"],
    }
    assert api_client.get(ME_URL).status_code in (401, 403)
    assert not AuditEvent.objects.filter(action=AuditAction.SIGN_IN).exists()


def test_staff_without_a_factor_must_enrol(api_client, staff):
    body = login(api_client, "root").json()

    assert body == {"status": "mfa_enrolment_required", "user": None, "mfa_methods": []}
    assert api_client.get(ME_URL).status_code in (401, 403)


def test_staff_sign_in_directly_when_the_setting_is_off(api_client, staff, settings):
    settings.SECULITE_MFA_REQUIRED_FOR_STAFF = False

    assert login(api_client, "root").json()["status"] == "signed_in"


def test_member_of_an_organization_requiring_mfa_must_enrol(api_client, user):
    OrganizationMembershipFactory(organization=OrganizationFactory(require_mfa=True), user=user)

    assert login(api_client, "alice").json()["status"] == "mfa_enrolment_required"


def test_wrong_password_is_audited_without_the_password(api_client, user):
    login(api_client, "alice", "wrong-password-123")

    event = AuditEvent.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert event.actor is None
    assert event.actor_username == "alice"
    assert event.detail == {"method": "password", "reason": "invalid_credentials"}
    assert "wrong-password" not in str(event.detail)


def _session_request(user=None):
    from django.contrib.sessions.backends.db import SessionStore

    request = RequestFactory().post("/", REMOTE_ADDR="127.0.0.1")
    request.session = SessionStore()
    return request


def test_session_complete_logs_the_pending_user_in_and_audits_the_factor():
    user = _with_totp(UserFactory(username="erin"))
    request = _session_request()
    outcome = session_begin(request, user, method="oidc:keycloak")
    assert outcome.status == "mfa_required"
    assert PENDING_SESSION_KEY in request.session

    assert session_complete(request, factor="totp") == user

    assert PENDING_SESSION_KEY not in request.session
    assert int(request.session["_auth_user_id"]) == user.pk
    event = AuditEvent.objects.get(action=AuditAction.SSO_SIGN_IN)
    assert event.detail == {"method": "oidc:keycloak", "mfa": "totp"}


def test_a_pending_sign_in_expires(settings):
    settings.SECULITE_MFA_PENDING_SECONDS = -1
    user = _with_totp(UserFactory())
    request = _session_request()
    session_begin(request, user, method="password")

    with pytest.raises(LookupError):
        session_complete(request, factor="totp")


def test_a_password_sign_in_over_another_session_ends_that_session(api_client, user):
    UserFactory(username="frank")
    assert login(api_client, "frank").json()["status"] == "signed_in"
    _with_totp(user)

    assert login(api_client, "alice").json()["status"] == "mfa_required"

    assert api_client.get(ME_URL).status_code in (401, 403)
