"""Reads for accounts: profiles, the caller's own API keys and, for staff, all users.

Each selector takes the caller: API keys are only ever looked up among the caller's own (another
user's key id is reported as missing), and the user directory is for staff only.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.http import Http404
from rest_framework.exceptions import PermissionDenied

from apps.accounts.models import ApiKey, UserProfile
from apps.accounts.scopes import has_staff_reach


def profile_get_for_user(*, user: User) -> UserProfile:
    """The user's profile, created with defaults on first read.

    Users made by `createsuperuser` or the Django admin have no profile until they need one.
    """
    profile, _ = UserProfile.objects.get_or_create(user=user)
    return profile


def api_key_list(*, user: User) -> QuerySet[ApiKey]:
    """The caller's API keys, newest first, including revoked and expired ones."""
    return ApiKey.objects.filter(user=user).select_related("project").order_by("-created_at")


def api_key_get_for_user(*, api_key_id: Any, user: User) -> ApiKey:
    """One of the caller's keys; someone else's (or an unknown) id → 404."""
    try:
        return ApiKey.objects.get(pk=int(api_key_id), user=user)
    except (ApiKey.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def _require_staff(actor: Any) -> None:
    if not has_staff_reach(actor):
        raise PermissionDenied("Only staff can manage users.")


def user_list(*, actor: Any) -> QuerySet[User]:
    """Every user, for staff."""
    _require_staff(actor)
    return User.objects.all().order_by("username")


def user_get(*, user_id: Any, actor: Any) -> User:
    """One user, for staff; an unknown id → 404."""
    _require_staff(actor)
    try:
        return User.objects.get(pk=int(user_id))
    except (User.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
