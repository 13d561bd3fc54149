"""SAML 2.0 sign-in against a real IdP (samlify on loopback): signed assertions required,
audience and recipient checked, replays refused."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from apps.common.testing.factories import OrganizationFactory, UserFactory
from apps.organizations.models import OrganizationMembership
from apps.sso.models import SamlAssertionUse
from apps.sso.tests.conftest import PASSWORD, SAML_ID, configure_providers, saml_entry
from apps.sso.tests.idp import Browser, form_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_first_sign_in_creates_the_account_with_the_mapped_role(saml_provider, browser):
    organization = OrganizationFactory(slug="acme")

    result = browser.sign_in(SAML_ID, "sam", PASSWORD)

    assert result.sso_error is None
    assert result.status == "signed_in"
    assert browser.me().json()["email"] == "sam@corp.test"
    user = User.objects.get(email="sam@corp.test")
    assert OrganizationMembership.objects.get(organization=organization, user=user).role == "member"
    assert SamlAssertionUse.objects.filter(provider_id=SAML_ID).count() == 1


@pytest.mark.parametrize("mode", ["assertion", "unsigned", "audience", "recipient"])
def test_a_tampered_unsigned_or_misdirected_assertion_is_refused(saml_provider, browser, mode):
    saml_provider.admin("tamper", {"mode": mode})

    result = browser.sign_in(SAML_ID, "sue", PASSWORD)

    assert result.sso_error == "invalid_response"
    assert browser.me().status_code in (401, 403)
    assert not User.objects.filter(email__in=["sue@corp.test", "attacker@evil.test"]).exists()


def test_a_replayed_assertion_is_refused(saml_provider, live_server):
    first = Browser(live_server.url)
    page = first.follow(first.start(SAML_ID))
    posted = first.submit_login(page, "stan", PASSWORD)
    action, fields = form_of(posted.text)
    assert "SAMLResponse" in fields
    landed = first.follow(first.session.post(action, data=fields, allow_redirects=False))
    assert "status=signed_in" in landed.url

    # The captured response, posted again (by the same browser or anyone who saw it):
    for replayer in (first, Browser(live_server.url)):
        again = replayer.follow(replayer.session.post(action, data=fields, allow_redirects=False))
        assert "sso_error=replayed" in again.url
    assert SamlAssertionUse.objects.filter(provider_id=SAML_ID).count() == 1


def test_without_the_email_trust_flag_an_existing_account_is_not_linked(
    saml_provider, settings, browser
):
    configure_providers(settings, [saml_entry(saml_provider, email_verified=False)])
    UserFactory(email="sue@corp.test")

    result = browser.sign_in(SAML_ID, "sue", PASSWORD)

    assert result.sso_error == "email_unverified"


@pytest.mark.parametrize("body", ["", "bm90IHhtbA==", "%%%not-base64", "PHg+PC94Pg=="])
def test_a_malformed_response_goes_back_to_the_sign_in_page(saml_provider, browser, body):
    acs = f"{browser.app_url}/accounts/saml/{SAML_ID}/acs/"

    landed = browser.follow(
        browser.session.post(acs, data={"SAMLResponse": body}, allow_redirects=False)
    )

    assert "/login?sso_error=" in landed.url


def test_a_provider_configured_from_the_idps_metadata_xml_signs_in(
    saml_provider, settings, browser
):
    import requests

    metadata = requests.get(f"{saml_provider.base_url}/metadata", timeout=10).text
    entry = saml_entry(saml_provider)
    del entry["idp"]
    configure_providers(settings, [{**entry, "idp_metadata_xml": metadata}])

    result = browser.sign_in(SAML_ID, "sam", PASSWORD)

    assert result.status == "signed_in"
