"""Per-target repository credentials (HTTPS token or SSH deploy key), encrypted at rest.

The key comes from settings: `SECULITE_CREDENTIALS_KEY` when set, else `SECRET_KEY`, stretched
with HKDF-SHA256 into a Fernet key (`cryptography`: AES-128-CBC with HMAC-SHA256, authenticated,
timestamped). The stored text is "v2:" + the Fernet token of the kind, user name and secret;
the version prefix lets a later release change the scheme and still read old rows.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ValidationError

from apps.common.encryption import fernet_for

HTTPS_TOKEN = "https_token"  # noqa: S105 - a kind, not a secret
SSH_KEY = "ssh_key"
KINDS = (HTTPS_TOKEN, SSH_KEY)
DEFAULT_TOKEN_USERNAME = "x-access-token"  # noqa: S105 - a user name
MAX_TOKEN_LENGTH = 4096
MAX_KEY_LENGTH = 16384

_VERSION = "v2"
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


def _fernet() -> Fernet:
    return fernet_for(b"seculite-target-credentials")


def credential_encrypt(credential: GitCredential) -> str:
    """The text stored in TargetAsset.credential_encrypted for `credential`."""
    plain = json.dumps({"k": credential.kind, "u": credential.username, "s": credential.secret})
    return _VERSION + ":" + _fernet().encrypt(plain.encode()).decode()


def credential_decrypt(*, kind: str, stored: str) -> GitCredential:
    """The credential behind `stored`; CredentialError if the key changed or it was altered."""
    unreadable = CredentialError(
        "The target's stored credential cannot be decrypted (SECULITE_CREDENTIALS_KEY or "
        "SECRET_KEY changed, or the row was altered); set the credential again."
    )
    version, _, token = stored.partition(":")
    if version != _VERSION or kind not in KINDS:
        raise unreadable
    try:
        fields = json.loads(_fernet().decrypt(token.encode()))
    except (InvalidToken, ValueError) as exc:
        raise unreadable from exc
    # The kind is inside the authenticated token: a row whose kind column was changed fails.
    if not isinstance(fields, dict) or fields.get("k") != kind:
        raise unreadable
    return GitCredential(kind=kind, secret=str(fields["s"]), username=str(fields["u"]))


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
