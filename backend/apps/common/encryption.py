"""Secrets the platform must store and read back (repository credentials, webhook signing
secrets, chat webhook URLs), encrypted at rest.

The key comes from settings: `SECULITE_CREDENTIALS_KEY` when set, else `SECRET_KEY`, stretched
with HKDF-SHA256 into a Fernet key (`cryptography`: AES-128-CBC with HMAC-SHA256,
authenticated), one per purpose (the salt), so a token of one kind never decrypts as another.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models

logger = logging.getLogger(__name__)


def fernet_for(salt: bytes) -> Fernet:
    """The Fernet key for one purpose (`salt`), derived from SECULITE_CREDENTIALS_KEY or
    SECRET_KEY."""
    material = str(getattr(settings, "SECULITE_CREDENTIALS_KEY", "") or settings.SECRET_KEY)
    key = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=salt,
        info=b"fernet",
    ).derive(material.encode())
    return Fernet(base64.urlsafe_b64encode(key))


class EncryptedTextField(models.TextField):
    """Text kept as "v1:" + a Fernet token and read back in clear; "" stays "" (so blank
    checks work without decrypting). A row written before the field was encrypted (no
    prefix) reads as it was, and is encrypted when saved again. A token that no longer
    decrypts (the key changed) reads as "": the value must be set again, as the log says.
    Not searchable or comparable in SQL: filter on it only for "" or not.
    """

    _PREFIX = "v1:"

    def __init__(self, *args: Any, salt: bytes = b"", **kwargs: Any) -> None:
        self.salt = salt
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        kwargs["salt"] = self.salt
        return name, path, args, kwargs

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if not value:
            return value
        return self._PREFIX + fernet_for(self.salt).encrypt(str(value).encode()).decode()

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if not value or not value.startswith(self._PREFIX):
            return value
        try:
            return fernet_for(self.salt).decrypt(value[len(self._PREFIX) :].encode()).decode()
        except (InvalidToken, ValueError):
            logger.warning(
                "%s of a %s row cannot be decrypted (SECULITE_CREDENTIALS_KEY or SECRET_KEY "
                "changed); it reads as empty until set again",
                self.name,
                self.model.__name__,
            )
            return ""
