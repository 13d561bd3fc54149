"""Target credentials: encrypted at rest with a key from settings, checked before storing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from apps.targets.credentials import (
    CredentialError,
    GitCredential,
    credential_decrypt,
    credential_encrypt,
    validate_credential,
)

TOKEN = "ghp_PlantedToken1234567890abcdefXYZ"


def make_key(tmp_path: Path, passphrase: str = "") -> str:
    tmp_path.mkdir(exist_ok=True)
    path = tmp_path / "id_ed25519"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-f", str(path)], check=True
    )
    return path.read_text()


def test_round_trip_and_nothing_readable_at_rest(settings):
    settings.SECULITE_CREDENTIALS_KEY = ""
    stored = credential_encrypt(GitCredential(kind="https_token", secret=TOKEN, username="bot"))
    assert TOKEN not in stored and "bot" not in stored
    assert stored.startswith("v2:")
    assert credential_encrypt(GitCredential(kind="https_token", secret=TOKEN)) != stored  # nonce
    back = credential_decrypt(kind="https_token", stored=stored)
    assert (back.secret, back.username) == (TOKEN, "bot")
    assert TOKEN not in repr(back)


def test_a_changed_key_or_kind_or_byte_is_refused(settings):
    settings.SECULITE_CREDENTIALS_KEY = "first key"
    stored = credential_encrypt(GitCredential(kind="https_token", secret=TOKEN))
    with pytest.raises(CredentialError, match="set the credential again"):
        credential_decrypt(kind="ssh_key", stored=stored)
    tampered = stored[:-6] + ("A" if stored[-6] != "A" else "B") + stored[-5:]
    with pytest.raises(CredentialError):
        credential_decrypt(kind="https_token", stored=tampered)
    settings.SECULITE_CREDENTIALS_KEY = "second key"
    with pytest.raises(CredentialError, match="SECULITE_CREDENTIALS_KEY"):
        credential_decrypt(kind="https_token", stored=stored)


def test_the_key_defaults_to_one_derived_from_secret_key(settings):
    settings.SECULITE_CREDENTIALS_KEY = ""
    settings.SECRET_KEY = "one secret"
    stored = credential_encrypt(GitCredential(kind="https_token", secret=TOKEN))
    settings.SECRET_KEY = "another secret"
    with pytest.raises(CredentialError):
        credential_decrypt(kind="https_token", stored=stored)


def test_tokens_are_checked():
    assert validate_credential(kind="https_token", secret=TOKEN).username == "x-access-token"
    for bad in ("", "two words", "line\nbreak"):
        with pytest.raises(ValidationError) as exc:
            validate_credential(kind="https_token", secret=bad)
        assert "credential_secret" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        validate_credential(kind="https_token", secret=TOKEN, username="-u x")
    assert "credential_username" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        validate_credential(kind="password", secret=TOKEN)
    assert "credential_kind" in exc.value.message_dict


def test_ssh_keys_are_checked(tmp_path):
    key = make_key(tmp_path)
    assert validate_credential(kind="ssh_key", secret=key.replace("\n", "\r\n")).secret == key
    with pytest.raises(ValidationError) as exc:
        validate_credential(kind="ssh_key", secret=make_key(tmp_path / "p", passphrase="pw"))
    assert "without a passphrase" in exc.value.message_dict["credential_secret"][0]
    with pytest.raises(ValidationError) as exc:
        validate_credential(kind="ssh_key", secret="ssh-ed25519 AAAA... a public key")
    assert "whole private key" in exc.value.message_dict["credential_secret"][0]
