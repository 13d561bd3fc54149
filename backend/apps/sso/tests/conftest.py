"""Fixtures for SSO tests: the Django app on a live loopback server, real IdPs started once
per test session, and the provider settings pointing at them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from apps.sso.config import allauth_apps_from_env
from apps.sso.tests.idp import Browser, IdpProcess, free_port, start_idp

OIDC_ID = "test-oidc"
PASSWORD = "idp-password-1"

OIDC_ACCOUNTS: list[dict[str, Any]] = [
    {
        "sub": "alice-1",
        "username": "alice",
        "email": "alice@corp.test",
        "email_verified": True,
        "groups": ["secops"],
    },
    {
        "sub": "bob-1",
        "username": "bob",
        "email": "bob@corp.test",
        "email_verified": False,
        "groups": [],
    },
    {
        "sub": "carol-1",
        "username": "carol",
        "email": "carol@corp.test",
        "email_verified": True,
        "groups": ["secops", "auditors"],
    },
    {
        "sub": "dave-1",
        "username": "dave",
        "email": "dave@corp.test",
        "email_verified": True,
        "groups": [],
    },
    {
        "sub": "erin-1",
        "username": "erin",
        "email": "erin@elsewhere.test",
        "email_verified": True,
        "groups": [],
    },
    {
        "sub": "frank-1",
        "username": "frank",
        "email": "frank@corp.test",
        "email_verified": True,
        "groups": [],
    },
    {
        "sub": "grace-1",
        "username": "grace",
        "email": "grace@corp.test",
        "email_verified": False,
        "groups": [],
    },
]


@pytest.fixture(scope="session")
def oidc_idp(live_server, tmp_path_factory) -> Iterator[IdpProcess]:
    port = free_port()
    config = {
        "port": port,
        "clients": [
            {
                "client_id": "seculite-test",
                "client_secret": "seculite-test-secret",
                "redirect_uris": [f"{live_server.url}/accounts/oidc/{OIDC_ID}/login/callback/"],
            }
        ],
        "accounts": [{**account, "password": PASSWORD} for account in OIDC_ACCOUNTS],
    }
    idp = start_idp("oidc-idp.mjs", config, tmp_path_factory.mktemp("oidc-idp"))
    yield idp
    idp.stop()


def oidc_entry(idp: IdpProcess, **overrides: Any) -> dict[str, Any]:
    return {
        "id": OIDC_ID,
        "kind": "oidc",
        "name": "Test OIDC",
        "discovery_url": f"{idp.base_url}/.well-known/openid-configuration",
        "client_id": "seculite-test",
        "client_secret": "seculite-test-secret",
        "scopes": ["openid", "profile", "email", "groups"],
        "role_mapping": {
            "secops": [
                {"organization": "acme", "role": "admin"},
                {"organization": "acme", "project": "Web", "role": "member"},
            ],
            "auditors": [{"organization": "acme", "project": "Web", "role": "auditor"}],
        },
        **overrides,
    }


def configure_providers(settings, entries: list[dict[str, Any]]) -> None:
    import json

    oidc, saml = allauth_apps_from_env(json.dumps(entries))
    settings.SOCIALACCOUNT_PROVIDERS = {
        **settings.SOCIALACCOUNT_PROVIDERS,
        "openid_connect": {**settings.SOCIALACCOUNT_PROVIDERS["openid_connect"], "APPS": oidc},
        "saml": {**settings.SOCIALACCOUNT_PROVIDERS["saml"], "APPS": saml},
    }


@pytest.fixture
def sso_http(settings, transactional_db) -> None:
    """Plain-HTTP loopback: cookies without the Secure flag, like the embedded default."""
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


@pytest.fixture
def oidc_provider(settings, sso_http, oidc_idp) -> Iterator[IdpProcess]:
    configure_providers(settings, [oidc_entry(oidc_idp)])
    oidc_idp.admin("tamper", {"mode": ""})
    yield oidc_idp
    oidc_idp.admin("tamper", {"mode": ""})


@pytest.fixture
def browser(live_server) -> Browser:
    return Browser(live_server.url)


SAML_ID = "test-saml"

SAML_ACCOUNTS: list[dict[str, Any]] = [
    {"username": "sam", "email": "sam@corp.test", "groups": ["secops"]},
    {"username": "sue", "email": "sue@corp.test", "groups": []},
    {"username": "stan", "email": "stan@corp.test", "groups": []},
]


def _self_signed_pair() -> tuple[str, str]:
    """An RSA key and a self-signed certificate for the test IdP's signatures."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "SecuLite test SAML IdP")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return key_pem, certificate.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture(scope="session")
def saml_idp(live_server, tmp_path_factory) -> Iterator[IdpProcess]:
    key_pem, cert_pem = _self_signed_pair()
    config = {
        "port": free_port(),
        "private_key": key_pem,
        "certificate": cert_pem,
        "sp": {
            "entity_id": f"{live_server.url}/accounts/saml/{SAML_ID}/metadata/",
            "acs_url": f"{live_server.url}/accounts/saml/{SAML_ID}/acs/",
        },
        "accounts": [{**account, "password": PASSWORD} for account in SAML_ACCOUNTS],
    }
    idp = start_idp("saml-idp.mjs", config, tmp_path_factory.mktemp("saml-idp"))
    idp.extra["certificate"] = cert_pem
    idp.extra["sp_entity_id"] = config["sp"]["entity_id"]
    yield idp
    idp.stop()


def saml_entry(idp: IdpProcess, **overrides: Any) -> dict[str, Any]:
    return {
        "id": SAML_ID,
        "kind": "saml",
        "name": "Test SAML",
        "idp": {
            "entity_id": f"{idp.base_url}/metadata",
            "sso_url": f"{idp.base_url}/sso",
            "x509cert": idp.extra["certificate"],
        },
        "entity_id": idp.extra["sp_entity_id"],
        "attribute_mapping": {"email": "email", "first_name": "first_name"},
        "email_verified": True,
        "role_mapping": {"secops": [{"organization": "acme", "role": "member"}]},
        **overrides,
    }


@pytest.fixture
def saml_provider(settings, sso_http, saml_idp) -> Iterator[IdpProcess]:
    configure_providers(settings, [saml_entry(saml_idp)])
    saml_idp.admin("tamper", {"mode": ""})
    yield saml_idp
    saml_idp.admin("tamper", {"mode": ""})
