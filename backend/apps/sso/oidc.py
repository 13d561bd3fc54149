"""OpenID Connect on top of django-allauth's `openid_connect` provider, with the checks it
leaves out: the ID token's signature is verified always (allauth skips it when the token came
straight from the token endpoint, which the spec allows, but a proxy or a misconfigured TLS
setup would then go unnoticed), and a `nonce` is sent and required back. allauth already
checks issuer, audience, expiry and the session-bound `state`, and sends PKCE (S256).
"""

from __future__ import annotations

import secrets
from typing import Any

from allauth.socialaccount.internal import jwtkit
from allauth.socialaccount.models import SocialApp
from allauth.socialaccount.providers.oauth2.views import OAuth2CallbackView
from allauth.socialaccount.providers.openid_connect.provider import OpenIDConnectProvider
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.http import Http404, HttpRequest, HttpResponse

NONCE_STATE_KEY = "seculite_nonce"


class CheckedOIDCAdapter(OpenIDConnectOAuth2Adapter):
    """allauth's adapter, verifying the ID token's signature on every path."""

    def _decode_id_token(self, app: SocialApp, id_token: str) -> dict:
        return jwtkit.verify_and_decode(
            credential=id_token,
            keys_url=self.openid_config["jwks_uri"],
            issuer=self.openid_config["issuer"],
            audience=app.client_id,
            lookup_kid=jwtkit.lookup_kid_jwk,
            verify_signature=True,
        )


class CheckedOpenIDConnectProvider(OpenIDConnectProvider):
    """Sends a fresh nonce with every authorization request and keeps it in the
    session-bound state; `nonce_matches` compares it with the ID token's."""

    oauth2_adapter_class = CheckedOIDCAdapter

    def redirect(
        self,
        request: HttpRequest,
        process: Any,
        next_url: Any = None,
        data: Any = None,
        **kwargs: Any,
    ) -> HttpResponse:
        nonce = secrets.token_urlsafe(32)
        auth_params = kwargs.pop("auth_params", None) or self.get_auth_params()
        auth_params = {**auth_params, "nonce": nonce}
        return super().redirect(
            request,
            process,
            next_url,
            data,
            auth_params=auth_params,
            **{NONCE_STATE_KEY: nonce},
            **kwargs,
        )


def nonce_matches(state: dict[str, Any], extra_data: dict[str, Any]) -> bool:
    """True when the ID token carries the nonce this session sent (constant-time compare)."""
    sent = state.get(NONCE_STATE_KEY)
    received = (extra_data.get("id_token") or {}).get("nonce")
    if not isinstance(sent, str) or not isinstance(received, str):
        return False
    return secrets.compare_digest(sent, received)


def callback(request: HttpRequest, provider_id: str) -> HttpResponse:
    """The redirect URI: allauth's callback view with our checked adapter."""
    try:
        view = OAuth2CallbackView.adapter_view(CheckedOIDCAdapter(request, provider_id))
        return view(request)
    except SocialApp.DoesNotExist as exc:
        raise Http404 from exc
