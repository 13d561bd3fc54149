"""Reads for notifications: who may hear about a project, and what each of them wants."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from apps.accounts.models import UserProfile
from apps.notifications.preferences import preferences_with_defaults
from apps.organizations.models import OrganizationMembership
from apps.projects.models import Project, ProjectMembership


def project_notification_recipients(
    *, project: Project, require_email: bool = True
) -> list[tuple[Any, dict[str, Any]]]:
    """(user, notification preferences) for the active users with a role in `project` (and an
    email address, unless `require_email` is off: the app's own notifications need none), by
    id; three queries, however many members the project has.

    Candidates are the project's members and its organization's members: every organization
    role maps to a project role (`ORG_ROLE_TO_PROJECT_ROLE`), so each of them can open the
    project, as `project_role_for_user` would say. Staff hear only about projects they are
    members of.
    """
    candidate_ids = set(
        ProjectMembership.objects.filter(project=project).values_list("user_id", flat=True)
    )
    if project.organization_id:
        candidate_ids |= set(
            OrganizationMembership.objects.filter(
                organization_id=project.organization_id
            ).values_list("user_id", flat=True)
        )
    users_query = get_user_model().objects.filter(pk__in=candidate_ids, is_active=True)
    if require_email:
        users_query = users_query.exclude(email="")
    users = list(users_query.order_by("pk"))
    stored = dict(
        UserProfile.objects.filter(user__in=users).values_list(
            "user_id", "notification_preferences"
        )
    )
    return [(user, _with_defaults(stored.get(user.pk))) for user in users]


def notification_preferences_for(*, user: Any) -> dict[str, Any]:
    """The user's preferences over the defaults, without creating a profile as a side effect."""
    stored = (
        UserProfile.objects.filter(user=user).values_list("notification_preferences", flat=True)
    ).first()
    return _with_defaults(stored)


def _with_defaults(stored: Any) -> dict[str, Any]:
    return preferences_with_defaults(stored)
