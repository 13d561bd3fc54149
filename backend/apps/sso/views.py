"""The browser's way into a provider: GET /accounts/sso/<id>/start/?token=… with the one-time
token the start API issued to this session. Not an API view: it answers with redirects."""

from __future__ import annotations

from allauth.socialaccount.adapter import get_adapter
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from apps.common.errors import ServiceError
from apps.sso.errors import SsoError, sso_error_redirect
from apps.sso.services import provider_get, sso_start_token_redeem


@require_GET
def sso_start(request: HttpRequest, provider_id: str) -> HttpResponse:
    process = sso_start_token_redeem(
        request=request, provider_id=provider_id, token=request.GET.get("token", "")
    )
    page = "/profile" if process == "connect" else "/login"
    if process is None:
        return sso_error_redirect(SsoError.START_EXPIRED)
    if process == "connect" and not request.user.is_authenticated:
        return sso_error_redirect(SsoError.START_EXPIRED)
    try:
        info = provider_get(request, provider_id)
    except ServiceError:
        return sso_error_redirect(SsoError.FAILED, page=page)
    provider = get_adapter().get_provider(
        request, info.app.provider_id or info.app.provider, client_id=info.app.client_id
    )
    return provider.redirect(request, process)
