"""Client secrets of providers staff add in the admin (allauth SocialApp.secret), kept
encrypted at rest with the project's Fernet helper (apps.common.encryption) and decrypted only
in memory when allauth needs them for the token request."""

from __future__ import annotations

import logging

from cryptography.fernet import InvalidToken

from apps.common.encryption import fernet_for

logger = logging.getLogger(__name__)

PREFIX = "enc1:"
_SALT = b"seculite-sso-client-secret"


def client_secret_encrypt(secret: str) -> str:
    if not secret or secret.startswith(PREFIX):
        return secret
    return PREFIX + fernet_for(_SALT).encrypt(secret.encode()).decode()


def client_secret_decrypt(stored: str) -> str:
    """The secret in clear; a value saved before encryption reads as it is, and one that no
    longer decrypts (the key changed) reads as "" so the token request fails visibly."""
    if not stored or not stored.startswith(PREFIX):
        return stored
    try:
        return fernet_for(_SALT).decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        logger.error("An SSO client secret no longer decrypts: set it again in the admin.")
        return ""
