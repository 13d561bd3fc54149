"""API key format and hashing. A key looks like `sl_<prefix>_<secret>`."""

from __future__ import annotations

import hashlib
import hmac
import secrets

KEY_SCHEME = "sl"


def key_generate() -> tuple[str, str, str]:
    """Return (full key, public prefix, SHA-256 hex of the full key)."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    full_key = f"{KEY_SCHEME}_{prefix}_{secret}"
    return full_key, prefix, key_hash(full_key)


def key_hash(full_key: str) -> str:
    # The secret carries 256 bits of randomness, so a plain SHA-256 is enough; a slow
    # password hash would only make every API call slow.
    return hashlib.sha256(full_key.encode()).hexdigest()


def key_prefix(full_key: str) -> str | None:
    parts = full_key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_SCHEME or not parts[1]:
        return None
    return parts[1]


def key_matches(full_key: str, stored_hash: str) -> bool:
    return hmac.compare_digest(key_hash(full_key), stored_hash)
