"""SAML 2.0 on top of django-allauth's `saml` provider (python3-saml): the security settings
are forced on every provider, wherever it was configured (environment or admin), and each
assertion works once.

python3-saml in strict mode checks the signature, audience (our SP entity id), recipient and
destination (our ACS URL), InResponseTo and the time window; it does not remember assertions,
so a captured response could be posted again until it expires. We store each assertion ID
until its NotOnOrAfter and refuse a second use.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.providers.saml.provider import SAMLProvider
from django.db import IntegrityError, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from apps.sso.config import saml_security_settings
from apps.sso.errors import SsoError, sso_error_redirect
from apps.sso.models import SamlAssertionUse

logger = logging.getLogger(__name__)

# When the assertion states no NotOnOrAfter, keep its ID this long (beyond any sane window).
DEFAULT_ASSERTION_LIFETIME = timedelta(hours=24)


class ReplaySafeSAMLProvider(SAMLProvider):
    """allauth's SAML provider with signed assertions required and replays refused."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = dict(self.app.settings or {})
        current["advanced"] = {**(current.get("advanced") or {}), **saml_security_settings()}
        self.app.settings = current

    def sociallogin_from_response(self, request: HttpRequest, response: Any) -> Any:
        assertion_use_record(
            provider_id=self.app.provider_id or self.app.client_id,
            assertion_id=response.get_last_assertion_id(),
            not_on_or_after=response.get_last_assertion_not_on_or_after(),
        )
        return super().sociallogin_from_response(request, response)


def assertion_use_record(
    *, provider_id: str, assertion_id: str | None, not_on_or_after: int | None
) -> None:
    """Remember one assertion ID; raise (as a redirect to the sign-in page) if it was used."""
    if not assertion_id:
        raise ImmediateHttpResponse(sso_error_redirect(SsoError.INVALID_RESPONSE))
    now = timezone.now()
    expires = (
        datetime.fromtimestamp(not_on_or_after, tz=UTC)
        if not_on_or_after
        else now + DEFAULT_ASSERTION_LIFETIME
    )
    SamlAssertionUse.objects.filter(not_on_or_after__lt=now - timedelta(minutes=5)).delete()
    try:
        with transaction.atomic():
            SamlAssertionUse.objects.create(
                provider_id=provider_id[:64],
                assertion_id=assertion_id[:256],
                not_on_or_after=max(expires, now + timedelta(minutes=5)),
            )
    except IntegrityError as exc:
        raise ImmediateHttpResponse(sso_error_redirect(SsoError.REPLAYED)) from exc


def finish_acs(request: HttpRequest, organization_slug: str) -> HttpResponse:
    """allauth's ACS finish view; a response that is not even XML (python3-saml lets lxml's
    error through) goes back to the sign-in page like any other refused answer, never a 500."""
    from allauth.socialaccount.providers.saml import views as saml_views
    from lxml.etree import XMLSyntaxError

    try:
        return saml_views.finish_acs(request, organization_slug=organization_slug)
    except (XMLSyntaxError, ValueError, KeyError) as exc:
        logger.warning("SAML response for %s is malformed: %s", organization_slug, exc)
        return sso_error_redirect(SsoError.INVALID_RESPONSE)


def sls_not_offered(request: HttpRequest, organization_slug: str) -> HttpResponse:
    """SAML single logout is not offered: an IdP's (possibly unsigned) logout request must
    not end SecuLite sessions."""
    raise Http404("Single logout is not offered.")
