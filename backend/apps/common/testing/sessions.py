"""Test helper: a Django test client signed in the way apps.accounts.signin signs sessions in."""

from __future__ import annotations

from typing import Any

from django.test import Client

from apps.accounts.signin import MFA_SESSION_KEY


def session_sign_in(client: Client, user: Any, *, factor: str = "totp") -> Client:
    """`force_login` plus the mark of the sign-in flow (the second factor used), without
    which neither the API nor the admin accepts the session."""
    client.force_login(user)
    session = client.session
    session[MFA_SESSION_KEY] = factor
    session.save()
    return client
