"""Why a single sign-on attempt was refused: a stable code the sign-in page shows as
`?sso_error=<code>`, with one message per code (the web app shows the same text)."""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import urlencode

from django.http import HttpResponseRedirect


class SsoError(StrEnum):
    FAILED = "failed"
    CANCELLED = "cancelled"
    INVALID_RESPONSE = "invalid_response"
    REPLAYED = "replayed"
    EMAIL_MISSING = "email_missing"
    EMAIL_UNVERIFIED = "email_unverified"
    DOMAIN_NOT_ALLOWED = "domain_not_allowed"
    NO_ACCOUNT = "no_account"
    INACTIVE = "inactive"
    ALREADY_LINKED = "already_linked"
    START_EXPIRED = "start_expired"


MESSAGES: dict[SsoError, str] = {
    SsoError.FAILED: "Single sign-on failed. Try again or ask your administrator.",
    SsoError.CANCELLED: "Single sign-on was cancelled.",
    SsoError.INVALID_RESPONSE: "The identity provider's answer did not pass our checks.",
    SsoError.REPLAYED: "This sign-in response was already used. Start again.",
    SsoError.EMAIL_MISSING: "The identity provider did not send an e-mail address.",
    SsoError.EMAIL_UNVERIFIED: (
        "An account with this e-mail address exists, but the identity provider does not "
        "vouch for the address. Sign in with your password and connect the provider from "
        "your profile."
    ),
    SsoError.DOMAIN_NOT_ALLOWED: "Accounts from this e-mail domain may not sign in here.",
    SsoError.NO_ACCOUNT: "You need an invitation before you can sign in here.",
    SsoError.INACTIVE: "This account is deactivated.",
    SsoError.ALREADY_LINKED: "This identity is already connected to another account.",
    SsoError.START_EXPIRED: "The sign-in link expired. Start again.",
}


class SsoRefused(Exception):
    """Raised by the SSO services; the adapter turns it into a redirect with the code."""

    def __init__(self, code: SsoError):
        super().__init__(MESSAGES[code])
        self.code = code


def sso_error_redirect(code: SsoError, *, page: str = "/login") -> HttpResponseRedirect:
    """Back to the web app's page with the reason; never any detail from the IdP."""
    return HttpResponseRedirect(f"{page}?{urlencode({'sso_error': code.value})}")
