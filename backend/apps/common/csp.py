"""Content-Security-Policy on every response Django sends (the embedded stack has no nginx).

The same policy nginx sends (nginx/templates/seculite.conf.template): scripts only from this
origin, no plugins, no framing. The interactive API docs page is the one exception, as there:
Swagger UI's bootstrap is an inline script.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            relaxed = request.path in settings.SECULITE_CSP_RELAXED_PATHS
            policy = settings.SECULITE_CSP_DOCS if relaxed else settings.SECULITE_CSP
            response["Content-Security-Policy"] = policy
        return response
