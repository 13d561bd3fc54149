"""Recovery codes: ten single-use codes, shown once, stored as SHA-256 hashes (each code has
about 59 random bits, so a fast hash is enough)."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.accounts.models import RecoveryCode

CODE_COUNT = 10
# No 0/o, 1/l/i: codes are read off paper.
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
GROUPS = 3
GROUP_LENGTH = 4


def _normalise(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _hash(code: str) -> str:
    return hashlib.sha256(_normalise(code).encode()).hexdigest()


def _new_code() -> str:
    return "-".join(
        "".join(secrets.choice(ALPHABET) for _ in range(GROUP_LENGTH)) for _ in range(GROUPS)
    )


@transaction.atomic
def recovery_codes_generate(*, user: Any) -> list[str]:
    """Replace the user's recovery codes with ten new ones and return them (shown once)."""
    RecoveryCode.objects.filter(user=user).delete()
    codes = [_new_code() for _ in range(CODE_COUNT)]
    RecoveryCode.objects.bulk_create(RecoveryCode(user=user, code_hash=_hash(c)) for c in codes)
    return codes


@transaction.atomic
def recovery_code_use(*, user: Any, code: str) -> bool:
    """Spend `code` if it is one of the user's unused codes; True if it was."""
    if not 8 <= len(_normalise(code)) <= 32:
        return False
    spent = RecoveryCode.objects.filter(
        user=user, code_hash=_hash(code), used_at__isnull=True
    ).update(used_at=timezone.now())
    return spent == 1


def recovery_codes_left(*, user: Any) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
