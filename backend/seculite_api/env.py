"""The one place that reads the process environment (django-environ)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import environ

BACKEND_DIR = Path(__file__).resolve().parent.parent
REPO_DIR = BACKEND_DIR.parent

env = environ.Env()

# A `.env` at the repository root is read when present; real environment variables win.
_dotenv = REPO_DIR / ".env"
if _dotenv.is_file():
    environ.Env.read_env(str(_dotenv), overwrite=False)

# `NAME=` (as in a .env copied from .env.example) means "use the default", never "empty":
# an empty DATABASE_URL, MEDIA_ROOT or SECURE_COOKIES must not silently change behaviour.
for _name in [name for name, value in os.environ.items() if value == ""]:
    del os.environ[_name]

VAR_DIR = Path(env.str("SECULITE_VAR_DIR", default=str(REPO_DIR / "var"))).resolve()


def secret_key_from_env_or_file(*, production: bool) -> str:
    """SECRET_KEY from the environment; in development generated once into var/.

    Production refuses to start without one, so a deployment never runs on a key
    that lives only on one machine's disk.
    """
    key = env.str("SECRET_KEY", default="") or env.str("DJANGO_SECRET_KEY", default="")
    if key:
        return key
    if production:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("SECRET_KEY must be set when SECULITE_ENV=production.")
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()
