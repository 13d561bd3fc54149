"""Provider configuration: SECULITE_SSO_PROVIDERS (JSON) turned into django-allauth apps, and
the SecuLite options every provider carries (groups claim, role mapping, e-mail trust).

An entry:

    {"id": "okta", "kind": "oidc", "name": "Okta",
     "discovery_url": "https://example.okta.com/.well-known/openid-configuration",
     "client_id": "...", "client_secret": "...",
     "groups_claim": "groups",
     "role_mapping": {"secops": [{"organization": "acme", "role": "admin"},
                                 {"organization": "acme", "project": "web", "role": "member"}]}}

    {"id": "corp", "kind": "saml", "name": "Corporate SAML",
     "idp_metadata_url": "https://idp.example/metadata", "idp_entity_id": "https://idp.example",
     (or "idp_metadata_xml": "<...>", or "idp": {"entity_id", "sso_url", "x509cert"}),
     "entity_id": "https://seculite.example/accounts/saml/corp/metadata/",
     "email_verified": true, "groups_claim": "groups", "role_mapping": {...}}

The same options sit in a SocialApp's settings under the "seculite" key when staff add a
provider in the Django admin.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured

PROVIDER_ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
KINDS = ("oidc", "saml")
# Owners stay a person's decision: a group cannot make (or, by disappearing, unmake) an owner,
# so the "last owner" rules of organizations and projects never depend on an IdP.
ORGANIZATION_ROLES = ("admin", "member")
PROJECT_ROLES = ("member", "auditor")


@dataclass(frozen=True)
class RoleTarget:
    """One role a group grants: on an organization, or on a project of that organization."""

    organization: str
    role: str
    project: str | None = None


@dataclass(frozen=True)
class SsoOptions:
    groups_claim: str = "groups"
    role_mapping: dict[str, tuple[RoleTarget, ...]] = field(default_factory=dict)
    # SAML has no standard "verified" flag: the operator says whether the IdP's e-mail is.
    email_verified_trusted: bool = False


def _fail(index: int, message: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"SECULITE_SSO_PROVIDERS[{index}]: {message}")


def parse_role_mapping(
    raw: Any, *, where: str = "role_mapping"
) -> dict[str, tuple[RoleTarget, ...]]:
    """Validate {"group": [{"organization", "role", "project"?}, ...]}; raise ValueError."""
    if raw in (None, ""):
        return {}
    if not isinstance(raw, dict):
        raise ValueError(f"{where} must be an object of group name to a list of roles.")
    mapping: dict[str, tuple[RoleTarget, ...]] = {}
    for group, targets in raw.items():
        if not isinstance(targets, list):
            raise ValueError(f"{where}[{group!r}] must be a list.")
        parsed = []
        for target in targets:
            if not isinstance(target, dict) or not isinstance(target.get("organization"), str):
                raise ValueError(f"{where}[{group!r}]: each role needs an organization slug.")
            project = target.get("project")
            allowed = PROJECT_ROLES if project else ORGANIZATION_ROLES
            role = target.get("role")
            if role not in allowed:
                raise ValueError(f"{where}[{group!r}]: role must be one of {', '.join(allowed)}.")
            parsed.append(
                RoleTarget(organization=target["organization"], role=role, project=project or None)
            )
        mapping[str(group)] = tuple(parsed)
    return mapping


def options_from_settings(app_settings: dict[str, Any]) -> SsoOptions:
    """The SecuLite options stored in an allauth app's settings ("seculite" key)."""
    raw = app_settings.get("seculite") or {}
    return SsoOptions(
        groups_claim=str(raw.get("groups_claim") or "groups"),
        role_mapping=parse_role_mapping(raw.get("role_mapping")),
        email_verified_trusted=bool(raw.get("email_verified", False)),
    )


def _seculite_options(entry: dict[str, Any], index: int) -> dict[str, Any]:
    options = {
        "groups_claim": entry.get("groups_claim") or "groups",
        "role_mapping": entry.get("role_mapping") or {},
        "email_verified": bool(entry.get("email_verified", False)),
    }
    try:
        parse_role_mapping(options["role_mapping"])
    except ValueError as exc:
        raise _fail(index, str(exc)) from exc
    return options


def _oidc_app(entry: dict[str, Any], index: int) -> dict[str, Any]:
    for key in ("discovery_url", "client_id", "client_secret"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise _fail(index, f"an OpenID Connect provider needs {key}.")
    return {
        "provider_id": entry["id"],
        "name": entry.get("name") or entry["id"],
        "client_id": entry["client_id"],
        "secret": entry["client_secret"],
        "settings": {
            "server_url": entry["discovery_url"],
            "oauth_pkce_enabled": True,
            "scope": entry.get("scopes") or ["openid", "profile", "email"],
            "seculite": _seculite_options(entry, index),
        },
    }


def _saml_idp(entry: dict[str, Any], index: int) -> dict[str, Any]:
    if entry.get("idp_metadata_url"):
        if not entry.get("idp_entity_id"):
            raise _fail(index, "idp_metadata_url needs idp_entity_id too.")
        return {"metadata_url": entry["idp_metadata_url"], "entity_id": entry["idp_entity_id"]}
    if entry.get("idp_metadata_xml"):
        from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

        parsed = OneLogin_Saml2_IdPMetadataParser.parse(entry["idp_metadata_xml"]).get("idp", {})
        if not parsed.get("entityId") or not parsed.get("x509cert"):
            raise _fail(index, "idp_metadata_xml has no entity id or signing certificate.")
        return {
            "entity_id": parsed["entityId"],
            "sso_url": parsed["singleSignOnService"]["url"],
            "x509cert": parsed["x509cert"],
        }
    idp = entry.get("idp")
    if isinstance(idp, dict) and all(idp.get(k) for k in ("entity_id", "sso_url", "x509cert")):
        return {k: idp[k] for k in ("entity_id", "sso_url", "x509cert")}
    raise _fail(index, "a SAML provider needs idp_metadata_url, idp_metadata_xml or idp.")


def _saml_app(entry: dict[str, Any], index: int) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "idp": _saml_idp(entry, index),
        "attribute_mapping": entry.get("attribute_mapping") or {},
        "advanced": saml_security_settings(),
        "seculite": _seculite_options(entry, index),
    }
    if entry.get("entity_id"):
        settings["sp"] = {"entity_id": entry["entity_id"]}
    return {
        "provider_id": entry["id"],
        "name": entry.get("name") or entry["id"],
        # allauth's SAML URLs carry the client id: /accounts/saml/<client_id>/acs/.
        "client_id": entry["id"],
        "settings": settings,
    }


def saml_security_settings() -> dict[str, Any]:
    """What every SAML provider must check (python3-saml's strict mode checks audience,
    recipient, destination and times); the replay check is ours (apps/sso/saml.py)."""
    return {
        "strict": True,
        "want_assertion_signed": True,
        "want_attribute_statement": False,
        "reject_idp_initiated_sso": True,
        "reject_deprecated_algorithm": True,
        "allow_single_label_domains": True,
    }


def allauth_apps_from_env(raw: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """SECULITE_SSO_PROVIDERS as (OpenID Connect apps, SAML apps) for SOCIALACCOUNT_PROVIDERS.
    A mistake stops the process at start-up with the entry's index, never at sign-in."""
    try:
        entries = json.loads(raw or "[]")
    except json.JSONDecodeError as exc:
        raise ImproperlyConfigured(f"SECULITE_SSO_PROVIDERS is not valid JSON: {exc}") from exc
    if not isinstance(entries, list):
        raise ImproperlyConfigured("SECULITE_SSO_PROVIDERS must be a JSON list.")
    oidc: list[dict[str, Any]] = []
    saml: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise _fail(index, "each provider must be an object.")
        provider_id = entry.get("id")
        if not isinstance(provider_id, str) or not PROVIDER_ID_RE.match(provider_id):
            raise _fail(index, "id must be lower-case letters, digits, - or _.")
        if provider_id in seen:
            raise _fail(index, f"id {provider_id!r} is used twice.")
        seen.add(provider_id)
        kind = entry.get("kind")
        if kind == "oidc":
            oidc.append(_oidc_app(entry, index))
        elif kind == "saml":
            saml.append(_saml_app(entry, index))
        else:
            raise _fail(index, f"kind must be one of {', '.join(KINDS)}.")
    return oidc, saml
