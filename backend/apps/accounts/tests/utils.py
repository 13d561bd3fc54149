"""Helpers shared by the accounts tests."""

from __future__ import annotations

from typing import Any

from rest_framework.test import APIClient

from apps.common.testing.factories import DEFAULT_PASSWORD

LOGIN_URL = "/api/v1/auth/login/"
STRONG_PASSWORD = "plum-ladder-quietly-orbit-91"


def login(client: APIClient, username: str, password: str = DEFAULT_PASSWORD) -> Any:
    """POST the login endpoint as JSON and return the response."""
    return client.post(LOGIN_URL, {"username": username, "password": password}, format="json")


def token_client(key: str, **defaults: Any) -> APIClient:
    """A client that authenticates with `Authorization: Token <key>` only."""
    client = APIClient(**defaults)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client
