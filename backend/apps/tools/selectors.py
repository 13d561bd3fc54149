"""Reads of tool definitions: every signed-in user sees every tool; only staff manage them."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from rest_framework.exceptions import PermissionDenied

from apps.accounts.scopes import has_staff_reach
from apps.tools.models import ToolDefinition


def tool_list(*, user: Any) -> QuerySet[ToolDefinition]:
    """All tools, enabled or not, so users can see why one cannot be picked."""
    return ToolDefinition.objects.all()


def tool_get_for_user(*, tool_id: Any, user: Any, manage: bool = False) -> ToolDefinition:
    """One tool; 404 if there is none. `manage=True` (changing it) needs a staff user: 403."""
    if manage and not has_staff_reach(user):
        raise PermissionDenied("Only platform administrators can change tools.")
    try:
        return tool_list(user=user).get(pk=int(tool_id))
    except (ToolDefinition.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
