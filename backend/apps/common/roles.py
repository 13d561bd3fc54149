"""Project roles and their ranks: owner > member > auditor. Staff act as platform admins."""

from __future__ import annotations

from django.db import models


class ProjectRole(models.TextChoices):
    OWNER = "owner", "Owner"
    MEMBER = "member", "Member"
    AUDITOR = "auditor", "Auditor"


ROLE_RANK: dict[str, int] = {
    ProjectRole.AUDITOR: 1,
    ProjectRole.MEMBER: 2,
    ProjectRole.OWNER: 3,
}


def role_at_least(role: str | None, required: str) -> bool:
    """True when `role` grants at least what `required` does."""
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[required]


def highest_role(*roles: str | None) -> str | None:
    present = [r for r in roles if r]
    return max(present, key=lambda r: ROLE_RANK[r]) if present else None
