"""TOTP (RFC 6238) authenticator apps: enrolment with a QR code, confirmation, verification
that refuses a replayed code.

pyotp computes the codes; segno draws the QR code as SVG (no image library, no JavaScript).
"""

from __future__ import annotations

import hmac
import io
from dataclasses import dataclass
from typing import Any

import pyotp
import segno
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import TotpDevice
from apps.common.errors import ServiceError

ISSUER = "SecuLite"
# One step before and after: clocks drift, and a code typed at the end of its step arrives late.
VALID_WINDOW = 1


@dataclass(frozen=True)
class TotpSetup:
    secret: str
    otpauth_uri: str
    qr_svg: str


def _uri(*, secret: str, user: Any) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.get_username(), issuer_name=ISSUER)


def totp_setup(*, user: Any) -> TotpSetup:
    """Give `user` a new, unconfirmed TOTP secret (replacing an unconfirmed one). A user with
    a confirmed app removes it first (which needs the password), so setup cannot be used to
    swap a victim's app from a borrowed session."""
    if TotpDevice.objects.filter(user=user, confirmed_at__isnull=False).exists():
        raise ServiceError(
            "An authenticator app is already set up; remove it first to set up another.",
            code="totp_exists",
            status_code=409,
        )
    secret = pyotp.random_base32()
    TotpDevice.objects.update_or_create(
        user=user, defaults={"secret": secret, "confirmed_at": None, "last_used_step": 0}
    )
    uri = _uri(secret=secret, user=user)
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=5, border=2, xmldecl=False)
    return TotpSetup(secret=secret, otpauth_uri=uri, qr_svg=buffer.getvalue().decode())


def _matching_step(secret: str, code: str) -> int | None:
    """The time step whose code equals `code` within the window, or None."""
    code = "".join(code.split())
    if not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(timezone.now())
    for step in range(now_step - VALID_WINDOW, now_step + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


@transaction.atomic
def totp_check(*, user: Any, code: str, confirmed: bool = True) -> bool:
    """Whether `code` is a fresh code of the user's (confirmed, or unconfirmed) device. An
    accepted code's step is recorded, so the same or an older code fails afterwards."""
    device = (
        TotpDevice.objects.select_for_update()
        .filter(user=user, confirmed_at__isnull=not confirmed)
        .first()
    )
    if device is None or not device.secret:
        return False
    step = _matching_step(device.secret, code)
    if step is None or step <= device.last_used_step:
        return False
    device.last_used_step = step
    device.save(update_fields=["last_used_step", "updated_at"])
    return True


def totp_confirm(*, user: Any, code: str) -> bool:
    """Enable the user's unconfirmed device if `code` matches it; False if it does not."""
    if not totp_check(user=user, code=code, confirmed=False):
        return False
    TotpDevice.objects.filter(user=user).update(confirmed_at=timezone.now())
    return True


def totp_remove(*, user: Any) -> bool:
    deleted, _ = TotpDevice.objects.filter(user=user).delete()
    return deleted > 0
