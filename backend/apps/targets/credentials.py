"""Per-target repository credentials (HTTPS token or SSH deploy key), encrypted at rest.

The key comes from settings: `SECULITE_CREDENTIALS_KEY` when set, else `SECRET_KEY`; either is
stretched with HKDF-SHA256 into separate encryption and authentication keys. `cryptography` is
not a dependency of SecuLite, so the cipher is built from the standard library: HMAC-SHA256 in
counter mode as the key stream and HMAC-SHA256 over the version, kind, nonce and ciphertext
(encrypt-then-MAC). The stored text is "v1:" + base64url(nonce | ciphertext | tag); the
version prefix lets a later release switch cipher and still read old rows.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

HTTPS_TOKEN = "https_token"  # noqa: S105 - a kind, not a secret
SSH_KEY = "ssh_key"
KINDS = (HTTPS_TOKEN, SSH_KEY)
DEFAULT_TOKEN_USERNAME = "x-access-token"  # noqa: S105 - a user name
MAX_TOKEN_LENGTH = 4096
MAX_KEY_LENGTH = 16384

_VERSION = b"v1"
_NONCE_BYTES = 16
_TAG_BYTES = 32
_USERNAME = re.compile(r"[A-Za-z0-9._@+-]{1,100}")
_KEY_BLOCK = re.compile(
    r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----\n.+\n-----END \1PRIVATE KEY-----\n", re.DOTALL
)


class CredentialError(Exception):
    """A stored credential cannot be read back; the message is safe to show."""


@dataclass(frozen=True)
class GitCredential:
    """A decrypted credential, held only in memory while a fetch needs it."""

    kind: str
    secret: str
    username: str = ""

    def __repr__(self) -> str:  # never let a traceback or log print the secret
        return f"GitCredential(kind={self.kind!r}, username={self.username!r}, secret=***)"


def _hkdf(key_material: bytes, info: bytes, length: int = 32) -> bytes:
    """RFC 5869 HKDF-SHA256 with a fixed salt."""
    prk = hmac.new(b"seculite-target-credentials", key_material, hashlib.sha256).digest()
    okm, block, counter = b"", b"", 1
    while len(okm) < length:
        block = hmac.new(prk, block + info + bytes([counter]), hashlib.sha256).digest()
        okm += block
        counter += 1
    return okm[:length]


def _keys() -> tuple[bytes, bytes]:
    material = str(getattr(settings, "SECULITE_CREDENTIALS_KEY", "") or settings.SECRET_KEY)
    raw = material.encode()
    return _hkdf(raw, b"encrypt"), _hkdf(raw, b"authenticate")


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (
        hmac.new(key, nonce + counter.to_bytes(8, "big"), hashlib.sha256).digest()
        for counter in range((length + 31) // 32)
    )
    return b"".join(blocks)[:length]


def _tag(key: bytes, kind: str, nonce: bytes, ciphertext: bytes) -> bytes:
    message = _VERSION + b"\x00" + kind.encode() + b"\x00" + nonce + ciphertext
    return hmac.new(key, message, hashlib.sha256).digest()


def credential_encrypt(credential: GitCredential) -> str:
    """The text stored in TargetAsset.credential_encrypted for `credential`."""
    encryption_key, mac_key = _keys()
    plain = json.dumps({"u": credential.username, "s": credential.secret}).encode()
    nonce = os.urandom(_NONCE_BYTES)
    ciphertext = bytes(
        a ^ b for a, b in zip(plain, _keystream(encryption_key, nonce, len(plain)), strict=True)
    )
    blob = nonce + ciphertext + _tag(mac_key, credential.kind, nonce, ciphertext)
    return _VERSION.decode() + ":" + base64.urlsafe_b64encode(blob).decode()


def credential_decrypt(*, kind: str, stored: str) -> GitCredential:
    """The credential behind `stored`; CredentialError if the key changed or it was altered."""
    unreadable = CredentialError(
        "The target's stored credential cannot be decrypted (SECULITE_CREDENTIALS_KEY or "
        "SECRET_KEY changed, or the row was altered); set the credential again."
    )
    version, _, encoded = stored.partition(":")
    if version.encode() != _VERSION or kind not in KINDS:
        raise unreadable
    try:
        blob = base64.urlsafe_b64decode(encoded.encode())
    except ValueError as exc:
        raise unreadable from exc
    if len(blob) < _NONCE_BYTES + _TAG_BYTES:
        raise unreadable
    nonce, ciphertext, tag = (
        blob[:_NONCE_BYTES],
        blob[_NONCE_BYTES:-_TAG_BYTES],
        blob[-_TAG_BYTES:],
    )
    encryption_key, mac_key = _keys()
    if not hmac.compare_digest(tag, _tag(mac_key, kind, nonce, ciphertext)):
        raise unreadable
    stream = _keystream(encryption_key, nonce, len(ciphertext))
    fields = json.loads(bytes(a ^ b for a, b in zip(ciphertext, stream, strict=True)))
    return GitCredential(kind=kind, secret=fields["s"], username=fields["u"])


def _passphrase_protected(key: str) -> bool:
    """Whether a PEM or OpenSSH private key is encrypted (the fetch could never unlock it)."""
    first_line = key.split("\n", 1)[0]
    if "ENCRYPTED" in first_line or "Proc-Type: 4,ENCRYPTED" in key:
        return True
    if "OPENSSH" not in first_line:
        return False
    body = "".join(key.strip().split("\n")[1:-1])
    try:
        raw = base64.b64decode(body)
    except ValueError:
        return False
    magic = b"openssh-key-v1\x00"
    if not raw.startswith(magic) or len(raw) < len(magic) + 4:
        return False
    length = int.from_bytes(raw[len(magic) : len(magic) + 4], "big")
    return raw[len(magic) + 4 : len(magic) + 4 + length] != b"none"


def validate_credential(*, kind: str, secret: str, username: str = "") -> GitCredential:
    """A credential ready to encrypt, or a ValidationError keyed by input field."""
    if kind not in KINDS:
        raise ValidationError(
            {"credential_kind": [f"Choose {HTTPS_TOKEN} or {SSH_KEY}."]}, code="invalid"
        )
    if kind == HTTPS_TOKEN:
        if not secret or len(secret) > MAX_TOKEN_LENGTH or re.search(r"[\s\x00-\x1f\x7f]", secret):
            raise ValidationError(
                {"credential_secret": ["Enter the token without spaces or line breaks."]}
            )
        username = username or DEFAULT_TOKEN_USERNAME
        if not _USERNAME.fullmatch(username):
            raise ValidationError(
                {"credential_username": ["Use 1-100 letters, digits or . _ @ + -."]}
            )
        return GitCredential(kind=kind, secret=secret, username=username)
    if username:
        raise ValidationError(
            {"credential_username": ["An SSH key takes no user name; put it in the URL."]}
        )
    key = secret.replace("\r\n", "\n").strip() + "\n"
    if len(key) > MAX_KEY_LENGTH or not _KEY_BLOCK.fullmatch(key):
        raise ValidationError(
            {
                "credential_secret": [
                    "Paste the whole private key, from -----BEGIN ... PRIVATE KEY----- to "
                    "-----END ... PRIVATE KEY-----, without a passphrase."
                ]
            }
        )
    if _passphrase_protected(key):
        raise ValidationError({"credential_secret": ["Use a deploy key without a passphrase."]})
    return GitCredential(kind=kind, secret=key)
