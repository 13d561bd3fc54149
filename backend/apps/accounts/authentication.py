"""DRF authentication: `Authorization: Token <api key>` and session with CSRF enforced."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from apps.accounts.keys import key_matches, key_prefix
from apps.accounts.models import ApiKey
from apps.accounts.scopes import USER_KEY_ATTRIBUTE

# Writing last_used_at on every request would turn reads into writes; once a minute is enough.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyAuthentication(authentication.TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key: str) -> tuple[Any, ApiKey]:
        prefix = key_prefix(key)
        invalid = exceptions.AuthenticationFailed("Invalid or revoked API key.")
        if prefix is None:
            raise invalid
        api_key = ApiKey.objects.select_related("user", "project").filter(prefix=prefix).first()
        if api_key is None or not key_matches(key, api_key.key_hash) or not api_key.is_active:
            raise invalid
        if not api_key.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive.")
        now = timezone.now()
        if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION:
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        # The selectors read the key from the user to honour a project-scoped key's limits
        # (apps.accounts.scopes). An attribute of this request's object only: never saved.
        setattr(api_key.user, USER_KEY_ATTRIBUTE, api_key)
        return api_key.user, api_key


class CsrfSessionAuthentication(authentication.SessionAuthentication):
    """Session auth; DRF's base class already enforces CSRF for authenticated writes.

    Only sessions signed in by apps.accounts.signin count (they carry the second factor used,
    or "" when none was needed): a session logged in any other way, such as one from before
    two-factor sign-in existed, is treated as signed out and must sign in again.
    """

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        # Imported here: signin imports the models this module's import chain is loading.
        from apps.accounts.signin import MFA_SESSION_KEY

        result = super().authenticate(request)
        if result is None:
            return None
        if request._request.session.get(MFA_SESSION_KEY) is None:
            return None
        return result

    def authenticate_header(self, request: Request) -> str:
        # Makes unauthenticated calls answer 401 rather than 403.
        return "Session"


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "apps.accounts.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'API key as "Token <key>".',
        }


class SessionAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "apps.accounts.authentication.CsrfSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
