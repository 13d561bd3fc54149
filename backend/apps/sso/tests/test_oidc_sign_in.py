"""OpenID Connect sign-in against a real provider (oidc-provider on loopback): accounts and
roles from the provider, and every check on its answer."""

from __future__ import annotations

import json

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth.models import User

from apps.common.testing.factories import OrganizationFactory, ProjectFactory, UserFactory
from apps.organizations.models import OrganizationMembership
from apps.projects.models import ProjectMembership
from apps.sso.tests.conftest import OIDC_ID, PASSWORD
from apps.sso.tests.idp import Browser

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def acme():
    organization = OrganizationFactory(slug="acme", name="Acme")
    project = ProjectFactory(name="Web", owner_user=None, organization=organization)
    return organization, project


def test_first_sign_in_creates_the_account_with_the_mapped_roles(oidc_provider, browser, acme):
    organization, project = acme

    result = browser.sign_in(OIDC_ID, "alice", PASSWORD)

    assert result.sso_error is None
    assert result.status == "signed_in"
    me = browser.me()
    assert me.status_code == 200
    assert me.json()["email"] == "alice@corp.test"
    user = User.objects.get(email="alice@corp.test")
    assert not user.has_usable_password()
    assert SocialAccount.objects.get(user=user).uid == "alice-1"
    assert OrganizationMembership.objects.get(organization=organization, user=user).role == "admin"
    assert ProjectMembership.objects.get(project=project, user=user).role == "member"
    # Through the organization and project services, so the audit log has the role changes.
    from apps.accounts.audit import AuditEvent

    changes = AuditEvent.objects.filter(action="role_changed", detail__member_id=user.pk)
    assert sorted((e.detail["scope"], e.detail["new_role"]) for e in changes) == [
        ("organization", "admin"),
        ("project", "member"),
    ]


def test_a_changed_group_changes_the_role_and_hand_granted_roles_stay(oidc_provider, browser, acme):
    organization, project = acme
    browser.sign_in(OIDC_ID, "carol", PASSWORD)
    user = User.objects.get(email="carol@corp.test")
    # carol is in secops (member) and auditors (auditor): the higher role wins.
    assert ProjectMembership.objects.get(project=project, user=user).role == "member"
    other = ProjectFactory(name="Api", owner_user=None, organization=organization)
    ProjectMembership.objects.create(project=other, user=user, role="auditor")  # by hand

    oidc_provider.admin("account", {"sub": "carol-1", "groups": ["auditors"]})
    try:
        again = Browser(browser.app_url).sign_in(OIDC_ID, "carol", PASSWORD)
    finally:
        oidc_provider.admin("account", {"sub": "carol-1", "groups": ["secops", "auditors"]})

    assert again.status == "signed_in"
    assert ProjectMembership.objects.get(project=project, user=user).role == "auditor"
    assert not OrganizationMembership.objects.filter(organization=organization, user=user).exists()
    assert ProjectMembership.objects.get(project=other, user=user).role == "auditor"


def test_a_hand_granted_role_is_never_changed_by_a_group(oidc_provider, browser, acme):
    organization, project = acme
    user = UserFactory(email="dave@corp.test")
    OrganizationMembership.objects.create(organization=organization, user=user, role="member")
    oidc_provider.admin("account", {"sub": "dave-1", "groups": ["secops"]})
    try:
        result = browser.sign_in(OIDC_ID, "dave", PASSWORD)
        oidc_provider.admin("account", {"sub": "dave-1", "groups": []})
        Browser(browser.app_url).sign_in(OIDC_ID, "dave", PASSWORD)
    finally:
        oidc_provider.admin("account", {"sub": "dave-1", "groups": []})

    assert result.status == "signed_in"
    # Verified e-mail: linked to the existing account, whose hand-granted role stays.
    assert SocialAccount.objects.get(uid="dave-1").user == user
    assert OrganizationMembership.objects.get(organization=organization, user=user).role == "member"
    assert not ProjectMembership.objects.filter(project=project, user=user).exists()


def test_unverified_email_matching_an_account_is_refused(oidc_provider, browser):
    user = UserFactory(email="bob@corp.test")

    result = browser.sign_in(OIDC_ID, "bob", PASSWORD)

    assert result.sso_error == "email_unverified"
    assert browser.me().status_code in (401, 403)
    assert not SocialAccount.objects.filter(user=user).exists()


def test_unverified_email_without_an_account_gets_a_new_account(oidc_provider, browser):
    result = browser.sign_in(OIDC_ID, "grace", PASSWORD)

    assert result.status == "signed_in"
    assert User.objects.get(email="grace@corp.test").socialaccount_set.count() == 1


def test_deactivated_user_cannot_come_back(oidc_provider, browser):
    browser.sign_in(OIDC_ID, "frank", PASSWORD)
    User.objects.filter(email="frank@corp.test").update(is_active=False)

    result = Browser(browser.app_url).sign_in(OIDC_ID, "frank", PASSWORD)

    assert result.sso_error == "inactive"


@pytest.mark.parametrize("mode", ["signature", "audience", "issuer", "nonce"])
def test_a_tampered_or_misdirected_id_token_is_refused(oidc_provider, browser, mode):
    oidc_provider.admin("tamper", {"mode": mode})

    result = browser.sign_in(OIDC_ID, "alice", PASSWORD)

    assert result.sso_error == "invalid_response"
    assert browser.me().status_code in (401, 403)
    assert not User.objects.filter(email__in=["alice@corp.test", "attacker@evil.test"]).exists()


def test_a_callback_with_another_sessions_state_is_refused(oidc_provider, browser, live_server):
    victim = Browser(live_server.url)
    page = victim.follow(victim.start(OIDC_ID))
    # The attacker's own authorization response, replayed into the victim's session:
    attacker = Browser(live_server.url)
    attacker_page = attacker.follow(attacker.start(OIDC_ID))
    callback = attacker.submit_login(attacker_page, "alice", PASSWORD)
    while callback.is_redirect and "/login/callback/" not in callback.headers["Location"]:
        callback = attacker.session.get(
            callback.headers["Location"]
            if callback.headers["Location"].startswith("http")
            else oidc_provider.base_url + callback.headers["Location"],
            allow_redirects=False,
        )
    assert page.status_code == 200
    landed = victim.follow(victim.session.get(callback.headers["Location"], allow_redirects=False))

    assert "sso_error=" in landed.url
    assert victim.me().status_code in (401, 403)


def test_jit_off_requires_an_invitation(oidc_provider, browser, settings):
    settings.SECULITE_SSO_JIT = False

    result = browser.sign_in(OIDC_ID, "alice", PASSWORD)

    assert result.sso_error == "no_account"
    assert not User.objects.filter(email="alice@corp.test").exists()


def test_domain_outside_the_allow_list_is_refused(oidc_provider, browser, settings):
    settings.SECULITE_SSO_ALLOWED_DOMAINS = ["corp.test"]

    result = browser.sign_in(OIDC_ID, "erin", PASSWORD)

    assert result.sso_error == "domain_not_allowed"
    assert not User.objects.filter(email="erin@elsewhere.test").exists()


def test_connect_from_the_profile_links_even_an_unverified_address(oidc_provider, browser):
    """Proving the local password (being signed in) is what linking needs when the provider
    does not vouch for the e-mail; afterwards the provider signs in to that account."""
    from apps.common.testing.factories import DEFAULT_PASSWORD

    user = UserFactory(username="bobby", email="bob@corp.test")
    signed_in = browser.session.post(
        f"{browser.app_url}/api/v1/auth/login/",
        json={"username": "bobby", "password": DEFAULT_PASSWORD},
    )
    assert signed_in.status_code == 200
    browser.session.get(f"{browser.app_url}/login")  # the web app's page sets the CSRF cookie

    connected = browser.sign_in(OIDC_ID, "bob", PASSWORD, process="connect")

    assert connected.landing_url.startswith(f"{browser.app_url}/profile?sso_connected=")
    assert SocialAccount.objects.get(uid="bob-1").user == user
    later = Browser(browser.app_url).sign_in(OIDC_ID, "bob", PASSWORD)
    assert later.status == "signed_in"
    assert later.session.get(f"{browser.app_url}/api/v1/auth/me/").json()["username"] == "bobby"


def test_sso_sign_in_follows_the_mfa_policy_and_is_audited(oidc_provider, browser):
    from apps.accounts.audit import AuditEvent

    staff = UserFactory(email="dave@corp.test", is_staff=True)

    result = browser.sign_in(OIDC_ID, "dave", PASSWORD)

    # Staff must have a second factor: SSO alone does not sign them in.
    assert result.status == "mfa_enrolment_required"
    assert browser.me().status_code in (401, 403)
    linked = AuditEvent.objects.get(action="sso_account_linked")
    assert linked.actor == staff
    assert linked.detail["provider"] == OIDC_ID


def test_refusals_are_audited_with_the_reason(oidc_provider, browser):
    from apps.accounts.audit import AuditEvent

    UserFactory(email="bob@corp.test")
    browser.sign_in(OIDC_ID, "bob", PASSWORD)
    ok = Browser(browser.app_url).sign_in(OIDC_ID, "alice", PASSWORD)

    failed = AuditEvent.objects.get(action="sso_sign_in_failed")
    assert failed.detail == {"provider": OIDC_ID, "reason": "email_unverified"}
    assert ok.status == "signed_in"
    signed_in = AuditEvent.objects.get(action="sso_sign_in")
    assert signed_in.actor.email == "alice@corp.test"
    assert signed_in.detail["method"] == f"sso:{OIDC_ID}"


def test_a_provider_added_in_the_admin_keeps_its_secret_encrypted_and_signs_in(
    oidc_provider, browser, settings
):
    from allauth.socialaccount.models import SocialApp

    from apps.sso.admin import EncryptedSecretSocialAppForm
    from apps.sso.tests.conftest import configure_providers

    configure_providers(settings, [])  # nothing from the environment
    form = EncryptedSecretSocialAppForm(
        data={
            "provider": "openid_connect",
            "provider_id": OIDC_ID,
            "name": "Admin-made OIDC",
            "client_id": "seculite-test",
            "secret": "seculite-test-secret",
            "key": "",
            "settings": json.dumps(
                {
                    "server_url": f"{oidc_provider.base_url}/.well-known/openid-configuration",
                    "scope": ["openid", "profile", "email", "groups"],
                }
            ),
        }
    )
    assert form.is_valid(), form.errors
    app = form.save()

    stored = SocialApp.objects.get(pk=app.pk).secret
    assert stored.startswith("enc1:")
    assert "seculite-test-secret" not in stored
    result = browser.sign_in(OIDC_ID, "alice", PASSWORD)
    assert result.status == "signed_in"
    assert SocialApp.objects.get(pk=app.pk).secret == stored
