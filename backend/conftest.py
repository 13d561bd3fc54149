"""Shared pytest fixtures: users in each role on a project, and API clients."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from apps.common.roles import ProjectRole
from apps.common.testing.factories import (
    ProjectFactory,
    ProjectMembershipFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    """Throttle counters and lockouts live in the cache; no test sees another's."""
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings) -> None:
    """Every role fixture creates users; the production hasher is slow by design and no test
    is about its strength (the validators still run)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _plain_static_storage(settings) -> None:
    """Tests run without collectstatic, so no hashed-name manifest exists."""
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for():
    """An APIClient authenticated as the given user (session auth, CSRF not enforced)."""

    def make(user: Any) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user=user)
        return client

    return make


@dataclass
class ProjectWithRoles:
    project: Any
    owner: Any
    member: Any
    auditor: Any
    outsider: Any
    staff: Any


@pytest.fixture
def project_with_roles(db) -> ProjectWithRoles:
    owner = UserFactory()
    project = ProjectFactory(owner_user=owner)
    ProjectMembershipFactory(project=project, user=owner, role=ProjectRole.OWNER)
    member = ProjectMembershipFactory(project=project, role=ProjectRole.MEMBER).user
    auditor = ProjectMembershipFactory(project=project, role=ProjectRole.AUDITOR).user
    return ProjectWithRoles(
        project=project,
        owner=owner,
        member=member,
        auditor=auditor,
        outsider=UserFactory(),
        staff=UserFactory(is_staff=True),
    )
