"""The SSO API: providers for the sign-in page (never a secret), the one-time start token,
connected accounts, and password sign-in turned off."""

from __future__ import annotations

import json

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp

from apps.common.testing.factories import DEFAULT_PASSWORD, UserFactory
from apps.sso.config import allauth_apps_from_env

pytestmark = pytest.mark.django_db

ENTRIES = [
    {
        "id": "okta",
        "kind": "oidc",
        "name": "Okta",
        "discovery_url": "https://example.okta.com/.well-known/openid-configuration",
        "client_id": "0oa-client",
        "client_secret": "very-secret-client-secret",
    },
    {
        "id": "corp",
        "kind": "saml",
        "name": "Corporate",
        "idp": {
            "entity_id": "https://idp.corp.example",
            "sso_url": "https://idp.corp.example/sso",
            "x509cert": "MIIC-not-a-real-cert",
        },
    },
]


@pytest.fixture
def providers(settings):
    oidc, saml = allauth_apps_from_env(json.dumps(ENTRIES))
    settings.SOCIALACCOUNT_PROVIDERS = {
        **settings.SOCIALACCOUNT_PROVIDERS,
        "openid_connect": {**settings.SOCIALACCOUNT_PROVIDERS["openid_connect"], "APPS": oidc},
        "saml": {**settings.SOCIALACCOUNT_PROVIDERS["saml"], "APPS": saml},
    }


def test_anonymous_list_shows_providers_without_secrets(api_client, providers):
    SocialApp.objects.create(
        provider="openid_connect",
        provider_id="keycloak",
        name="Keycloak (admin)",
        client_id="kc",
        secret="admin-made-secret",
        settings={"server_url": "https://kc.example/realms/x"},
    )

    response = api_client.get("/api/v1/auth/sso/providers/")

    assert response.status_code == 200
    body = response.json()
    assert [(p["id"], p["kind"]) for p in body["providers"]] == [
        ("corp", "saml"),
        ("keycloak", "oidc"),
        ("okta", "oidc"),
    ]
    assert body["providers"][2]["start_url"] == "/api/v1/auth/sso/providers/okta/start/"
    assert body["local_passwords"] is True
    text = response.content.decode()
    for secret in ("very-secret-client-secret", "admin-made-secret", "0oa-client", "MIIC"):
        assert secret not in text


def test_start_gives_a_one_time_url_bound_to_the_session(api_client, providers):
    started = api_client.post(
        "/api/v1/auth/sso/providers/okta/start/", {"process": "login"}, format="json"
    )
    assert started.status_code == 200
    url = started.json()["redirect_url"]
    assert url.startswith("/accounts/sso/okta/start/?token=")

    # Another browser (no session) cannot use it: back to the sign-in page.
    from rest_framework.test import APIClient

    stranger = APIClient().get(url)
    assert stranger.status_code == 302
    assert stranger["Location"] == "/login?sso_error=start_expired"
    # Nor can a made-up token in the right session.
    forged = api_client.get("/accounts/sso/okta/start/?token=forged")
    assert forged["Location"] == "/login?sso_error=start_expired"


def test_start_refuses_forms_unknown_providers_and_anonymous_connect(api_client, providers):
    form = api_client.post(
        "/api/v1/auth/sso/providers/okta/start/",
        "process=login",
        content_type="application/x-www-form-urlencoded",
    )
    assert form.status_code == 415
    unknown = api_client.post("/api/v1/auth/sso/providers/nope/start/", {}, format="json")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["code"] == "not_found"
    connect = api_client.post(
        "/api/v1/auth/sso/providers/okta/start/", {"process": "connect"}, format="json"
    )
    assert connect.status_code == 401


def test_password_sign_in_off_except_break_glass(api_client, settings):
    settings.SECULITE_LOCAL_PASSWORDS = False
    settings.SECULITE_BREAK_GLASS_USERNAMES = ["rescue"]
    UserFactory(username="alice")
    UserFactory(username="rescue", email="rescue@example.com")

    refused = api_client.post(
        "/api/v1/auth/login/", {"username": "alice", "password": DEFAULT_PASSWORD}, format="json"
    )
    by_email = api_client.post(
        "/api/v1/auth/login/",
        {"username": "alice@example.com", "password": DEFAULT_PASSWORD},
        format="json",
    )
    allowed = api_client.post(
        "/api/v1/auth/login/",
        {"username": "rescue@example.com", "password": DEFAULT_PASSWORD},
        format="json",
    )

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "local_passwords_disabled"
    assert by_email.status_code == 403
    assert allowed.status_code == 200
    assert api_client.get("/api/v1/auth/sso/providers/").json()["local_passwords"] is False


def test_connections_list_and_disconnect(client_for, providers):
    user = UserFactory()
    account = SocialAccount.objects.create(user=user, provider="okta", uid="sub-1")
    other = SocialAccount.objects.create(user=UserFactory(), provider="okta", uid="sub-2")
    client = client_for(user)

    listed = client.get("/api/v1/auth/sso/connections/")
    foreign = client.delete(f"/api/v1/auth/sso/connections/{other.pk}/")
    removed = client.delete(f"/api/v1/auth/sso/connections/{account.pk}/")

    assert listed.status_code == 200
    assert listed.json() == [
        {
            "id": account.pk,
            "provider": "okta",
            "provider_name": "Okta",
            "kind": "oidc",
            "connected_at": listed.json()[0]["connected_at"],
        }
    ]
    assert foreign.status_code == 404
    assert SocialAccount.objects.filter(pk=other.pk).exists()
    assert removed.status_code == 204
    assert not SocialAccount.objects.filter(pk=account.pk).exists()


def test_the_only_way_in_cannot_be_disconnected(client_for, providers):
    user = UserFactory()
    user.set_unusable_password()
    user.save()
    account = SocialAccount.objects.create(user=user, provider="okta", uid="sub-1")

    response = client_for(user).delete(f"/api/v1/auth/sso/connections/{account.pk}/")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "last_sign_in_method"


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{", "not valid JSON"),
        ('{"id": "x"}', "JSON list"),
        ('[{"id": "Bad Id", "kind": "oidc"}]', "id must be"),
        ('[{"id": "a", "kind": "ldap"}]', "kind must be"),
        ('[{"id": "a", "kind": "oidc", "client_id": "c"}]', "discovery_url"),
        ('[{"id": "a", "kind": "saml"}]', "idp_metadata_url"),
        (
            '[{"id": "a", "kind": "oidc", "discovery_url": "u", "client_id": "c", '
            '"client_secret": "s", '
            '"role_mapping": {"g": [{"organization": "o", "role": "owner"}]}}]',
            "role must be one of admin, member",
        ),
    ],
)
def test_bad_provider_configuration_stops_start_up_with_the_reason(raw, message):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match=message):
        allauth_apps_from_env(raw)


def test_only_our_browser_routes_exist_under_accounts(client, providers):
    metadata = client.get("/accounts/saml/corp/metadata/")
    assert metadata.status_code == 200
    assert b'WantAssertionsSigned="true"' in metadata.content
    # allauth's own pages and provider login pages are not routed: the one-time start URL is
    # the only way into a provider, and allauth's password login does not exist.
    for path in (
        "/accounts/oidc/okta/login/",
        "/accounts/saml/corp/login/",
        "/accounts/saml/corp/sls/",
        "/accounts/login/",
        "/accounts/signup/",
    ):
        assert client.get(path).status_code == 404, path
