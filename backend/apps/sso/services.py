"""Single sign-on reads and writes the API needs: the providers to show, the one-time start
token, and the caller's connected identities."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.http import HttpRequest

from apps.common.errors import ServiceError
from apps.sso.passwords import local_password_allowed

START_SESSION_KEY = "seculite_sso_start"
START_TOKEN_LIFETIME_SECONDS = 300
KIND_BY_ALLAUTH_PROVIDER = {"openid_connect": "oidc", "saml": "saml"}
PROCESSES = ("login", "connect")


@dataclass(frozen=True)
class ProviderInfo:
    id: str
    name: str
    kind: str
    app: SocialApp


def _provider_id_of(app: SocialApp) -> str:
    return str(app.provider_id or app.client_id)


def provider_list(request: HttpRequest | None = None) -> list[ProviderInfo]:
    """Every configured OIDC and SAML provider (environment and admin), in name order."""
    seen: dict[str, ProviderInfo] = {}
    for app in get_adapter().list_apps(request):
        kind = KIND_BY_ALLAUTH_PROVIDER.get(app.provider)
        if kind is None or (app.settings or {}).get("hidden"):
            continue
        provider_id = _provider_id_of(app)
        seen.setdefault(provider_id, ProviderInfo(provider_id, app.name or provider_id, kind, app))
    return sorted(seen.values(), key=lambda info: info.name.lower())


def provider_get(request: HttpRequest, provider_id: str) -> ProviderInfo:
    for info in provider_list(request):
        if info.id == provider_id:
            return info
    raise ServiceError("No such sign-in provider.", code="not_found", status_code=404)


def sso_start_token_issue(*, request: HttpRequest, provider_id: str, process: str) -> str:
    """A one-time token, kept in this session, that the start URL must carry: a link or
    image on another site cannot start a sign-in or connect flow in the visitor's session."""
    provider_get(request, provider_id)
    if process not in PROCESSES:
        raise ServiceError("Unknown sign-in process.", code="invalid")
    if process == "connect" and not request.user.is_authenticated:
        raise ServiceError("Sign in first.", code="not_authenticated", status_code=401)
    token = secrets.token_urlsafe(32)
    pending = dict(request.session.get(START_SESSION_KEY) or {})
    now = time.time()
    pending = {k: v for k, v in pending.items() if v.get("expires", 0) > now}
    pending[token] = {
        "provider": provider_id,
        "process": process,
        "expires": now + START_TOKEN_LIFETIME_SECONDS,
    }
    request.session[START_SESSION_KEY] = pending
    return token


def sso_start_token_redeem(*, request: HttpRequest, provider_id: str, token: str) -> str | None:
    """The process the token was issued for, once; None when unknown, used or expired."""
    pending = dict(request.session.get(START_SESSION_KEY) or {})
    entry = pending.pop(token, None) if isinstance(token, str) else None
    request.session[START_SESSION_KEY] = pending
    if not entry or entry.get("provider") != provider_id or entry.get("expires", 0) < time.time():
        return None
    return str(entry["process"])


def connection_list(*, user: Any) -> list[SocialAccount]:
    return list(SocialAccount.objects.filter(user=user).order_by("date_joined"))


def connection_remove(*, user: Any, connection_id: int) -> None:
    """Disconnect one identity; refuse to strand an account with no way to sign in."""
    account = SocialAccount.objects.filter(user=user, pk=connection_id).first()
    if account is None:
        raise ServiceError("No such connected account.", code="not_found", status_code=404)
    others = SocialAccount.objects.filter(user=user).exclude(pk=account.pk).exists()
    if not others and not (user.has_usable_password() and local_password_allowed(user.username)):
        raise ServiceError(
            "This is your only way to sign in: set a password first.",
            code="last_sign_in_method",
            status_code=409,
        )
    account.delete()
