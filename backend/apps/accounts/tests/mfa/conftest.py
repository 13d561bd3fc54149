"""Fixtures for the two-factor tests."""

from __future__ import annotations

import time

import pyotp
import pytest

from apps.accounts.tests.mfa.authenticator import SoftAuthenticator

RP_ID = "localhost"
ORIGIN = "http://localhost:8000"


@pytest.fixture(autouse=True)
def _relying_party(settings) -> None:
    settings.SECULITE_WEBAUTHN_RP_ID = RP_ID
    settings.SECULITE_WEBAUTHN_ORIGINS = [ORIGIN]


@pytest.fixture
def authenticator() -> SoftAuthenticator:
    return SoftAuthenticator(rp_id=RP_ID, origin=ORIGIN)


def code_at(secret: str, step_offset: int = 0) -> str:
    """The TOTP code `step_offset` steps from now."""
    return pyotp.TOTP(secret).generate_otp(int(time.time() // 30) + step_offset)
