"""Fixtures for the accounts tests: a fast password hasher, a regular and a staff user."""

from __future__ import annotations

from typing import Any

import pytest

from apps.common.testing.factories import UserFactory


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings) -> None:
    """These tests sign in hundreds of times; the production hasher is slow by design."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def user(db) -> Any:
    return UserFactory(username="alice", email="alice@example.com")


@pytest.fixture
def staff(db) -> Any:
    return UserFactory(username="root", email="root@example.com", is_staff=True)
