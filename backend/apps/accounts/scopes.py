"""Project-scoped API keys: their scopes, and what a request made with one may reach.

A key with a project (`ApiKey.project`) acts for its user in that project only, with a role
no higher than its scopes stand for: `read` → auditor; `import` or `scan` (each implies
`read`) → member. Staff lose their platform-wide reach through such a key. The
authentication class puts the key on the request's user object as `seculite_api_key`; the
selectors read it through the helpers below, so every role check honours it. A key without a
project acts as its user everywhere, as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import models

from apps.common.roles import ROLE_RANK, ProjectRole

if TYPE_CHECKING:
    from apps.accounts.models import ApiKey

# The attribute ApiKeyAuthentication sets on the request's user object.
USER_KEY_ATTRIBUTE = "seculite_api_key"


class KeyScope(models.TextChoices):
    READ = "read", "Read the project"
    IMPORT = "import", "Import reports"
    SCAN = "scan", "Start scans"


SCOPE_ORDER: tuple[str, ...] = (KeyScope.READ, KeyScope.IMPORT, KeyScope.SCAN)
# Scopes that let a key write (import reports, start scans) and so need a member's role.
WRITE_SCOPES = frozenset({KeyScope.IMPORT, KeyScope.SCAN})


def scopes_expand(scopes: Iterable[str]) -> list[str]:
    """The scopes with the ones they imply (import and scan imply read), deduplicated, in
    a fixed order: what the key can do, spelt out."""
    chosen = set(scopes)
    if chosen & WRITE_SCOPES:
        chosen.add(KeyScope.READ)
    return [scope for scope in SCOPE_ORDER if scope in chosen]


def scopes_role(scopes: Iterable[str]) -> str:
    """The highest project role a key with `scopes` acts with (and that its user needs)."""
    return ProjectRole.MEMBER if set(scopes) & WRITE_SCOPES else ProjectRole.AUDITOR


def request_api_key(user: Any) -> ApiKey | None:
    """The API key the current request was authenticated with, if any."""
    return getattr(user, USER_KEY_ATTRIBUTE, None)


def key_project_id(user: Any) -> int | None:
    """The project a project-scoped key limits `user` to; None for sessions and other keys."""
    api_key = request_api_key(user)
    return api_key.project_id if api_key is not None else None


def key_allows(api_key: ApiKey, required: str) -> bool:
    """Whether the key's scopes cover `required` (one of KeyScope)."""
    return required in scopes_expand(api_key.scopes or [])


def role_capped(role: str | None, user: Any) -> str | None:
    """`role` lowered to what the request's project-scoped key allows (unchanged otherwise)."""
    api_key = request_api_key(user)
    if role is None or api_key is None or api_key.project_id is None:
        return role
    cap = scopes_role(api_key.scopes or [])
    return cap if ROLE_RANK[role] > ROLE_RANK[cap] else role


def has_staff_reach(user: Any) -> bool:
    """True for staff acting as platform admins: never through a project-scoped key."""
    return bool(getattr(user, "is_staff", False)) and key_project_id(user) is None


def key_limit_message(api_key: ApiKey) -> str:
    """What a project-scoped key may do, for its 403 answers."""
    project_name = api_key.project.name if api_key.project is not None else ""
    scopes = ", ".join(scopes_expand(api_key.scopes or []))
    return f'This API key is limited to project "{project_name}" ({scopes}).'
