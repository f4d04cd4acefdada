"""One settings module, configured by environment variables only.

Embedded mode (no variables set): SQLite in WAL mode under ``SAMBANDH_DATA_DIR``
(default ``./var``), Huey on SQLite, a generated secret key kept in the data folder.
Production: ``DATABASE_URL`` (PostgreSQL), ``REDIS_URL``, ``SECRET_KEY``, ``ALLOWED_HOSTS``.
"""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from django.utils.translation import gettext_lazy as _

# Lets admin classes and querysets be subscripted at run time, as the type stubs write them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("SAMBANDH_DATA_DIR", Path.cwd() / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """The secret from the environment, or one generated once and kept in the data folder."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        # O_EXCL: two processes starting together must not write two different keys.
        try:
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(50))
    return key_file.read_text().strip()


# Under pytest: plain static storage (no collectstatic manifest needed) and fast hashing.
TESTING = _env_bool("SAMBANDH_TESTING") or "pytest" in sys.modules

SECRET_KEY = _secret_key()
DEBUG = _env_bool("DEBUG", False)
ALLOWED_HOSTS = _env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = _env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "huey.contrib.djhuey",
    "sambandh.core",
    "sambandh.contacts",
    "sambandh.sales",
    "sambandh.activities",
    "sambandh.dedup",
    "sambandh.dataio",
    "sambandh.automation",
    "sambandh.notifications",
    "sambandh.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "sambandh.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "sambandh.core.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "sambandh.urls"
WSGI_APPLICATION = "sambandh.wsgi.application"
AUTH_USER_MODEL = "core.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _database() -> dict[str, Any]:
    url = os.environ.get("DATABASE_URL")
    if url:
        config: dict[str, Any] = dict(
            dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
        )
        if config["ENGINE"] == "django.db.backends.postgresql":
            config.setdefault("TEST", {})
            if os.environ.get("SAMBANDH_TEST_DB_NAME"):
                config["TEST"]["NAME"] = os.environ["SAMBANDH_TEST_DB_NAME"]
            if "pytest" in sys.modules:
                # A test database need not survive a crash: its commits do not wait for the
                # WAL to reach the disk (transactional and browser tests commit thousands).
                # Only under pytest: the benches (SAMBANDH_TESTING) measure the real thing.
                config.setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=off"
            return config
        if config["ENGINE"] != "django.db.backends.sqlite3":
            raise RuntimeError("DATABASE_URL must be a postgres:// or sqlite:// URL")
        name = config["NAME"]
    else:
        name = str(DATA_DIR / "sambandh.sqlite3")
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": name,
        # Keep a thread's connection between requests: opening one and running the PRAGMAs
        # below costs more than the queries of a typical API call.
        "CONN_MAX_AGE": 600,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {
            # IMMEDIATE: a writing transaction takes the write lock at BEGIN, so two writers
            # queue on the busy timeout instead of failing with "database is locked" mid-way.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA cache_size=-64000;"
                "PRAGMA temp_store=MEMORY;"
            ),
        },
        "TEST": {"NAME": os.environ.get("SAMBANDH_TEST_DB_NAME") or None},
    }


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

if TESTING:
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("hi", "हिन्दी")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_COOKIE_NAME = "sambandh_language"

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every start when it is missing
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG or TESTING
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Large payloads are refused before they reach a view.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(os.environ.get("SAMBANDH_MAX_BODY_BYTES", 2 * 1024 * 1024))
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Behind TLS in production: set SAMBANDH_HTTPS=1.
if _env_bool("SAMBANDH_HTTPS"):
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 31536000))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

REDIS_URL = os.environ.get("REDIS_URL")
if REDIS_URL:
    HUEY: dict[str, Any] = {
        "huey_class": "huey.RedisHuey",
        "name": os.environ.get("SAMBANDH_QUEUE_NAME", "sambandh"),
        "url": REDIS_URL,
        "immediate": False,
    }
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": os.environ.get("SAMBANDH_QUEUE_NAME", "sambandh"),
        "filename": str(DATA_DIR / "huey.sqlite3"),
        "immediate": False,
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    # Request bodies and query strings can carry personal data: never log them.
    "loggers": {"django.request": {"level": "ERROR"}, "django.db.backends": {"level": "INFO"}},
}

# Email. With SAMBANDH_EMAIL_HOST set: SMTP (STARTTLS on port 587, TLS on 465 unless said
# otherwise). Without it (embedded mode): each message is written as a file under
# DATA_DIR/mail, so nothing is lost and nothing reaches for the network.
EMAIL_HOST = os.environ.get("SAMBANDH_EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("SAMBANDH_EMAIL_PORT", "587"))
EMAIL_HOST_USER = os.environ.get("SAMBANDH_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("SAMBANDH_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_SSL = _env_bool("SAMBANDH_EMAIL_USE_SSL", EMAIL_PORT == 465)
EMAIL_USE_TLS = _env_bool("SAMBANDH_EMAIL_USE_TLS", EMAIL_PORT == 587 and not EMAIL_USE_SSL)
EMAIL_TIMEOUT = int(os.environ.get("SAMBANDH_EMAIL_TIMEOUT", "30"))
DEFAULT_FROM_EMAIL = os.environ.get("SAMBANDH_DEFAULT_FROM_EMAIL", "Sambandh <sambandh@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_FILE_PATH = str(DATA_DIR / "mail")
EMAIL_BACKEND = os.environ.get("SAMBANDH_EMAIL_BACKEND") or (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend"
)
# Where links in emails point: the address people open Sambandh at.
SAMBANDH_BASE_URL = os.environ.get("SAMBANDH_BASE_URL", "http://localhost:8000").rstrip("/")

# API
SAMBANDH_API_PAGE_MAX = 200
SAMBANDH_SEARCH_LIMIT = 20
# Requests per window for each API token and each signed-in user ("600/minute", "100/10s";
# "off"). Off in tests, which call the API far faster than a client may; they set their own.
SAMBANDH_API_RATE_LIMIT = os.environ.get("SAMBANDH_API_RATE_LIMIT") or (
    "off" if TESTING else "600/minute"
)
# Imports: a worker that has not reported for this long is taken for dead and its job resumed
# by another; a file of at least this many rows is read by a second process.
SAMBANDH_IMPORT_STALE_SECONDS = int(os.environ.get("SAMBANDH_IMPORT_STALE_SECONDS", "120"))
SAMBANDH_IMPORT_PIPELINE_MIN_ROWS = int(
    os.environ.get("SAMBANDH_IMPORT_PIPELINE_MIN_ROWS", "20000")
)
# While that process starts (most of a second), the importer prepares up to this many chunks
# of 1,000 rows itself; the second process then goes on after the last row read. 0: it waits.
# Reading 20 chunks with 80 ms of writing each took 3.26 s waiting, 2.43 s this way (medians).
SAMBANDH_IMPORT_PIPELINE_HEAD_CHUNKS = int(
    os.environ.get("SAMBANDH_IMPORT_PIPELINE_HEAD_CHUNKS", "50")
)
# An import commits its chunks in transactions of up to this many rows, or as soon as one has
# run this long: each commit writes every index page it touched, so in a table of a million
# contacts a commit per 1,000 rows took a third of the writer's time, and 100,000 new contacts
# took 28.5 s in 2-second transactions, 23.3 s in 5-second ones, 19.8 s in 10-second ones.
# The time bounds how long other writers of an SQLite database wait (5 s at most here).
SAMBANDH_IMPORT_TRANSACTION_ROWS = int(os.environ.get("SAMBANDH_IMPORT_TRANSACTION_ROWS", "50000"))
SAMBANDH_IMPORT_TRANSACTION_SECONDS = float(
    os.environ.get("SAMBANDH_IMPORT_TRANSACTION_SECONDS", "5")
)
# A bulk write (an import) that has written at least this many rows to a table, and half as
# many as PostgreSQL's statistics of it counted, analyzes it before its next commit
# (``core.bulk.PlannerStatistics``): without statistics the planner scanned a growing table of
# contacts once per chunk to match its emails.
SAMBANDH_ANALYZE_MIN_ROWS = int(os.environ.get("SAMBANDH_ANALYZE_MIN_ROWS", "10000"))
# Exports: a selection of more rows than this is written to a file by a worker (the user
# downloads it from /exports/) instead of being streamed in the request.
SAMBANDH_EXPORT_BACKGROUND_ROWS = int(os.environ.get("SAMBANDH_EXPORT_BACKGROUND_ROWS", "50000"))

# Event delivery and webhooks. A delivery a worker leased but did not finish within the lease
# (the worker died) is taken again; failed deliveries are retried with exponential backoff and
# jitter for the retry window, then set aside as dead letters and their endpoint disabled.
SAMBANDH_DELIVERY_LEASE_SECONDS = int(os.environ.get("SAMBANDH_DELIVERY_LEASE_SECONDS", "60"))
SAMBANDH_WEBHOOK_RETRY_WINDOW_SECONDS = int(
    os.environ.get("SAMBANDH_WEBHOOK_RETRY_WINDOW_SECONDS", str(3 * 24 * 3600))
)
SAMBANDH_WEBHOOK_CONNECT_TIMEOUT = float(os.environ.get("SAMBANDH_WEBHOOK_CONNECT_TIMEOUT", "5"))
SAMBANDH_WEBHOOK_READ_TIMEOUT = float(os.environ.get("SAMBANDH_WEBHOOK_READ_TIMEOUT", "10"))
SAMBANDH_WEBHOOK_SENDERS = int(os.environ.get("SAMBANDH_WEBHOOK_SENDERS", "8"))
# Private or loopback networks outbound webhooks may reach, besides those allowed in the UI
# (comma-separated, e.g. "10.0.0.0/8,127.0.0.1").
SAMBANDH_WEBHOOK_ALLOWED_NETWORKS = [
    n for n in os.environ.get("SAMBANDH_WEBHOOK_ALLOWED_NETWORKS", "").split(",") if n.strip()
]
# Wake a worker after each commit that wrote events (off in tests, which call the pump).
SAMBANDH_WAKE_WORKERS = _env_bool("SAMBANDH_WAKE_WORKERS", default=not TESTING)
