"""What django-axes answers when a username + IP pair is locked out."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse

from apps.common.errors import error_body


def lockout_message() -> str:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return f"Too many failed sign-in attempts. Try again in {minutes} minutes."


def lockout_response(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    return JsonResponse(error_body(429, "account_locked", lockout_message()), status=429)


def client_ip(request: HttpRequest) -> str:
    """The client address for lockouts: X-Real-IP when a trusted proxy sets it
    (NUM_PROXIES > 0), else the socket peer, so clients cannot choose their own address."""
    if settings.NUM_PROXIES > 0:
        forwarded = request.META.get("HTTP_X_REAL_IP", "").strip()
        if forwarded:
            return forwarded
    return str(request.META.get("REMOTE_ADDR", ""))
