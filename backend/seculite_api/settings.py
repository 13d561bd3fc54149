"""Django settings for SecuLite. Every value comes from the environment via `env.py`.

Third-party integrations live in `seculite_api/config/` and are imported at the end.
"""

from __future__ import annotations

from pathlib import Path

from seculite_api.env import BACKEND_DIR, REPO_DIR, VAR_DIR, env, secret_key_from_env_or_file

SECULITE_ENV = env.str("SECULITE_ENV", default="development")
PRODUCTION = SECULITE_ENV == "production"
DEBUG = env.bool("DEBUG", default=env.bool("DJANGO_DEBUG", default=False))
SECRET_KEY = secret_key_from_env_or_file(production=PRODUCTION)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "apps.accounts.admin_config.SecuLiteAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.socialaccount.providers.saml",
    "apps.common",
    "apps.accounts",
    "apps.organizations",
    "apps.projects",
    "apps.targets",
    "apps.tools",
    "apps.scans",
    "apps.findings",
    "apps.imports",
    "apps.dashboard",
    "apps.notifications",
    "apps.reports",
    "apps.sso",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "apps.common.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # django-allauth's request context, for the SSO redirects under /accounts/ (apps.sso).
    "allauth.account.middleware.AccountMiddleware",
    # Axes must come last so it sees the outcome of authentication.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "seculite_api.urls"
WSGI_APPLICATION = "seculite_api.wsgi.application"
ASGI_APPLICATION = "seculite_api.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Embedded default: a SQLite file under var/; DATABASE_URL (or the compose file's POSTGRES_*
# variables with DB_HOST) switches to PostgreSQL.
_default_db_url = f"sqlite:///{VAR_DIR / 'seculite.sqlite3'}"
if not env.str("DATABASE_URL", default="") and env.str("DB_HOST", default=""):
    _default_db_url = "postgres://{user}:{password}@{host}:{port}/{name}".format(
        user=env.str("POSTGRES_USER", default="postgres"),
        password=env.str("POSTGRES_PASSWORD", default=""),
        host=env.str("DB_HOST"),
        port=env.str("DB_PORT", default="5432"),
        name=env.str("POSTGRES_DB", default="seculite"),
    )
DATABASES = {"default": env.db_url("DATABASE_URL", default=_default_db_url)}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            # A worker's transaction that reads, then writes, cannot wait for another writer
            # (SQLite answers "database is locked" at once); taking the write lock at BEGIN
            # makes concurrent tool runs queue on the busy timeout instead.
            "transaction_mode": "IMMEDIATE",
        }
    )
    # A file, not memory, so the embedded-default test can share it with a real worker.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-seculite.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache_url("CACHE_URL", default=f"filecache://{VAR_DIR / 'cache'}")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "apps.accounts.backends.UsernameOrEmailBackend",
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "staticfiles"))
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Largest source archive a user may upload as a target (nginx's client_max_body_size matches).
SECULITE_UPLOAD_MAX_BYTES = env.int("SECULITE_UPLOAD_MAX_BYTES", default=200 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# The built web app (frontend/dist): WhiteNoise serves its files at /, with a long cache for
# Vite's content-hashed assets; other non-API paths answer its index.html (history fallback).
SECULITE_FRONTEND_DIST = Path(
    env.str("SECULITE_FRONTEND_DIST", default=str(REPO_DIR / "frontend" / "dist"))
).resolve()
if SECULITE_FRONTEND_DIST.is_dir():
    WHITENOISE_ROOT = str(SECULITE_FRONTEND_DIST)
# Vite's hashed assets, and collectstatic's hashed names (WhiteNoise's own default test).
WHITENOISE_IMMUTABLE_FILE_TEST = (
    r"^/assets/.+-[A-Za-z0-9_-]{8,}\.\w+$|^/static/.+\.[0-9a-f]{12}\.\w+(\.gz|\.br)?$"
)

# Where the web app lives, for links in emails (password reset, invitations, notifications).
FRONTEND_URL = env.str("FRONTEND_URL", default="http://127.0.0.1:8000").rstrip("/")

LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

__all__ = ["BACKEND_DIR", "REPO_DIR"]

from seculite_api.config.axes import *  # noqa: E402,F403
from seculite_api.config.celery import *  # noqa: E402,F403
from seculite_api.config.email import *  # noqa: E402,F403
from seculite_api.config.mfa import *  # noqa: E402,F403
from seculite_api.config.notifications import *  # noqa: E402,F403
from seculite_api.config.rest import *  # noqa: E402,F403
from seculite_api.config.scanning import *  # noqa: E402,F403
from seculite_api.config.security import *  # noqa: E402,F403
from seculite_api.config.sso import *  # noqa: E402,F403
