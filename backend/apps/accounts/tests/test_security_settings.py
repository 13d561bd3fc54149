"""With DEBUG off, cookies are secure and security headers strict; production needs a key."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from seculite_api.env import BACKEND_DIR

CHECK_HARDENED = """
import django
django.setup()
from django.conf import settings as s
assert s.DEBUG is False
assert s.SESSION_COOKIE_SECURE is True, "SESSION_COOKIE_SECURE"
assert s.CSRF_COOKIE_SECURE is True, "CSRF_COOKIE_SECURE"
assert s.SESSION_COOKIE_HTTPONLY is True, "SESSION_COOKIE_HTTPONLY"
assert s.SECURE_HSTS_SECONDS > 0, "SECURE_HSTS_SECONDS"
assert s.X_FRAME_OPTIONS == "DENY", "X_FRAME_OPTIONS"
assert s.SECURE_CONTENT_TYPE_NOSNIFF is True, "SECURE_CONTENT_TYPE_NOSNIFF"
assert s.SECRET_KEY == "x"
print("hardened")
"""

IMPORT_SETTINGS = "import django; django.setup()"

# Variables that would override the defaults under test.
_OVERRIDES = {
    "DEBUG",
    "DJANGO_DEBUG",
    "SECURE_COOKIES",
    "SECURE_HSTS_SECONDS",
    "SECRET_KEY",
    "DJANGO_SECRET_KEY",
    "SECULITE_ENV",
}


def _run(code: str, tmp_path: Path, **overrides: str) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key not in _OVERRIDES}
    env.update(
        DJANGO_SETTINGS_MODULE="seculite_api.settings",
        SECULITE_VAR_DIR=str(tmp_path),
        **overrides,
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=BACKEND_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_settings_are_hardened(tmp_path):
    result = _run(
        CHECK_HARDENED, tmp_path, DEBUG="false", SECULITE_ENV="production", SECRET_KEY="x"
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "hardened"


@pytest.mark.parametrize("secret_key", [None, ""])
def test_production_without_secret_key_refuses_to_start(tmp_path, secret_key):
    overrides = {"DEBUG": "false", "SECULITE_ENV": "production"}
    if secret_key is not None:
        overrides["SECRET_KEY"] = secret_key

    result = _run(IMPORT_SETTINGS, tmp_path, **overrides)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be set" in result.stderr
    assert not (tmp_path / "secret_key").exists()
