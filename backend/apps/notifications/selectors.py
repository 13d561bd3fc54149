"""Reads for notifications: who may hear about a project, and what each of them wants."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model

from apps.accounts.models import UserProfile, default_notification_preferences
from apps.organizations.models import OrganizationMembership
from apps.projects.models import Project, ProjectMembership
from apps.projects.selectors import project_role_for_user


def project_notification_users(*, project: Project) -> list[Any]:
    """Active users with a role in `project` and an email address, by id.

    Candidates are the project's members and its organization's members; each is then put
    through `project_role_for_user`, the same rule every read uses, so no one hears about a
    project they cannot open. Staff hear only about projects they are members of.
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
    users = (
        get_user_model()
        .objects.filter(pk__in=candidate_ids, is_active=True)
        .exclude(email="")
        .order_by("pk")
    )
    return [user for user in users if project_role_for_user(project=project, user=user)]


def notification_preferences_for(*, user: Any) -> dict[str, Any]:
    """The user's preferences over the defaults, without creating a profile as a side effect."""
    stored = (
        UserProfile.objects.filter(user=user).values_list("notification_preferences", flat=True)
    ).first()
    preferences = default_notification_preferences()
    if isinstance(stored, dict):
        preferences.update(stored)
    return preferences
