"""Fixtures for the accounts tests: a regular and a staff user."""

from __future__ import annotations

from typing import Any

import pytest

from apps.common.testing.factories import UserFactory


@pytest.fixture
def user(db) -> Any:
    return UserFactory(username="alice", email="alice@example.com")


@pytest.fixture
def staff(db) -> Any:
    return UserFactory(username="root", email="root@example.com", is_staff=True)
