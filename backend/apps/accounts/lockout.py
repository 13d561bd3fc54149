"""What django-axes answers when a username + IP pair is locked out."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse

from apps.common.errors import error_body


def lockout_response(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return JsonResponse(
        error_body(
            429,
            "account_locked",
            f"Too many failed sign-in attempts. Try again in {minutes} minutes.",
        ),
        status=429,
    )
