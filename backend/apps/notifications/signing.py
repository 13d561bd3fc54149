"""Webhook signing: per-configuration secrets, encrypted at rest, and the signature header.

Every outbound webhook is signed the way Stripe signs its events: the header
`X-SecuLite-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`. The timestamp
is part of what is signed, so a receiver that rejects old timestamps also rejects replays.

The secret is generated here (`secrets.token_urlsafe(32)`), shown once to whoever created or
rotated it, and stored only as a Fernet token under a key derived from SECULITE_CREDENTIALS_KEY
or SECRET_KEY (the target credentials' helper, with a salt of its own).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

from cryptography.fernet import InvalidToken

from apps.common.encryption import fernet_for

SIGNATURE_HEADER = "X-SecuLite-Signature"
EVENT_HEADER = "X-SecuLite-Event"
DELIVERY_HEADER = "X-SecuLite-Delivery"
_VERSION = "v1"
_SALT = b"seculite-webhook-secrets"


class WebhookSecretUnreadable(Exception):
    """The stored secret cannot be decrypted (the key changed or the row was altered)."""


def webhook_secret_generate() -> str:
    return secrets.token_urlsafe(32)


def webhook_secret_encrypt(secret: str) -> str:
    """The text stored in `notify_webhook_secret_encrypted` for `secret`."""
    return _VERSION + ":" + fernet_for(_SALT).encrypt(secret.encode()).decode()


def webhook_secret_decrypt(stored: str) -> str:
    version, _, token = stored.partition(":")
    if version != _VERSION or not token:
        raise WebhookSecretUnreadable
    try:
        return fernet_for(_SALT).decrypt(token.encode()).decode()
    except (InvalidToken, ValueError) as exc:
        raise WebhookSecretUnreadable from exc


def webhook_signature(*, secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The `X-SecuLite-Signature` value for `body` signed now (or at `timestamp`)."""
    signed_at = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{signed_at}.".encode() + body, hashlib.sha256)
    return f"t={signed_at},v1={digest.hexdigest()}"
