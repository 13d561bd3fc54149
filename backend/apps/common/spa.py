"""Serves the built web app's index.html for page paths (the SPA's history fallback).

WhiteNoise serves the app's files themselves (see WHITENOISE_ROOT in settings); this view
answers deep links such as /findings/42 with index.html, read from the build directory on each
request so a rebuild needs no restart. It also sets the CSRF cookie the app sends back as
X-CSRFToken on writes.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_safe

NOT_BUILT = (
    "<!doctype html><title>SecuLite</title><h1>The web app is not built</h1>"
    "<p>Run <code>npm ci &amp;&amp; npm run build</code> in <code>frontend/</code>. "
    'The API is at <a href="/api/v1/docs/">/api/v1/docs/</a>.</p>'
)


@require_safe
@never_cache
@ensure_csrf_cookie
def spa_index(request: HttpRequest) -> HttpResponse:
    index = settings.SECULITE_FRONTEND_DIST / "index.html"
    try:
        body = index.read_bytes()
    except OSError:
        return HttpResponse(NOT_BUILT, status=503, content_type="text/html; charset=utf-8")
    return HttpResponse(body, content_type="text/html; charset=utf-8")
