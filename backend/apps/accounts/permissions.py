"""Deny by default for project-scoped API keys: a view opts in by declaring what it allows.

A view declares

    scoped_key_access = {"list": "read", "retrieve": "read", "start": "scan"}

keyed by viewset action, or by HTTP method for a plain APIView (`{"GET": "read"}`; HEAD counts
as GET). A request made with a project-scoped key reaches the view only when the entry for its
action or method names a scope the key holds; anything else answers 403. Sessions and keys
without a project pass untouched: their role checks happen in the selectors as always.
"""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from apps.accounts.models import ApiKey
from apps.accounts.scopes import key_allows, key_limit_message

# The view attribute that lists what a project-scoped key may call.
ACCESS_ATTRIBUTE = "scoped_key_access"


def scoped_key_scope_required(view: Any, request: Request) -> str | None:
    """The scope `view` asks of a project-scoped key for this request; None = refused."""
    access: dict[str, str] = getattr(view, ACCESS_ATTRIBUTE, None) or {}
    action = getattr(view, "action", None)
    if action and action in access:
        return access[action]
    method = "GET" if request.method == "HEAD" else str(request.method)
    return access.get(method)


class ScopedApiKeyPermission(BasePermission):
    """Lets a project-scoped key through only to views that declare its scope."""

    def has_permission(self, request: Request, view: Any) -> bool:
        api_key = request.auth
        if not isinstance(api_key, ApiKey) or api_key.project_id is None:
            return True
        required = scoped_key_scope_required(view, request)
        if required is not None and key_allows(api_key, required):
            return True
        raise PermissionDenied(key_limit_message(api_key))
