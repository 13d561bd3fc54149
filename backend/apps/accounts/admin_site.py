"""The Django admin behind the web app's sign-in: it has no password form of its own (a
password alone must never make a session), and it admits only sessions signed in by
apps.accounts.signin, which records the second factor used."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.admin import AdminSite
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse

from apps.accounts.signin import MFA_SESSION_KEY


def _mfa_complete(request: HttpRequest) -> bool:
    """Signed in through the sign-in flow, with a factor when staff need one."""
    factor = request.session.get(MFA_SESSION_KEY)
    if factor is None:
        return False
    return bool(factor) or not settings.SECULITE_MFA_REQUIRED_FOR_STAFF


class SecuLiteAdminSite(AdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and _mfa_complete(request)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        """Never authenticates: a page (or, for a form post, a redirect) to the web sign-in."""
        next_path = request.GET.get("next") or "/admin/"
        if not next_path.startswith("/admin/"):
            next_path = "/admin/"
        web_login_url = "/login?" + urlencode({"next": next_path})
        if request.method == "POST":
            return HttpResponseRedirect(web_login_url)
        if self.has_permission(request):
            return HttpResponseRedirect(next_path)
        context = {**self.each_context(request), "web_login_url": web_login_url}
        response: HttpResponse = TemplateResponse(request, "admin/seculite_login.html", context)
        return response
