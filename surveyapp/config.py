"""Configuration: safe defaults here, overridden by ``SURVEYAPP_*`` variables."""

from __future__ import annotations

import os


class Config:
    """Defaults for running on one machine with SQLite."""

    SECRET_KEY: str | None = None          # SURVEYAPP_SECRET_KEY; else kept in instance/secret_key
    DATABASE_URL: str | None = None        # SURVEYAPP_DATABASE_URL; else SQLite in instance/
    MAX_CONTENT_LENGTH = 256 * 1024        # bytes; a larger body gets 413
    LANGUAGE = "zh"                        # default language of messages
    PUBLIC_URL: str | None = None          # base of survey links in QR codes and posters; else the request's
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    WTF_CSRF_TIME_LIMIT = None
    RATELIMIT_STORAGE_URI = "surveyapp-memory://"  # per process; or redis://127.0.0.1:6379 to share
    RATELIMIT_ENABLED = True
    SUBMIT_RATE_LIMIT = "30 per minute"    # per client address, for survey and API submissions
    COMPRESS_MIMETYPES = ["text/html", "text/css", "application/javascript", "text/javascript",
                          "application/json", "image/svg+xml", "text/csv"]
    COMPRESS_ALGORITHM = ["gzip"]
    COMPRESS_MIN_SIZE = 500
    SEND_FILE_MAX_AGE_DEFAULT = 3600
    REPORT_LAYOUTS: str | None = None      # SURVEYAPP_REPORT_LAYOUTS: the researchers' layouts; else instance/reports
    DEVICE_COOKIE_DAYS = 180               # one response per device, when the questionnaire wants it


def database_url(url: str | None, instance_path: str) -> str:
    """The SQLAlchemy URL to use; PostgreSQL URLs are pointed at psycopg 3."""
    if not url:
        return "sqlite:///" + os.path.join(instance_path, "surveyapp.db")
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_secret_key(instance_path: str) -> str:
    """A secret key kept in the instance folder, created on first use."""
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        os.makedirs(instance_path, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(os.urandom(32).hex())
    with open(path, encoding="ascii") as handle:
        return handle.read().strip()


def engine_options(url: str) -> dict:
    """Pool settings. Connections to a database server are recycled every half hour
    rather than pinged before every use (a ping is a round trip per request)."""
    return {} if url.startswith("sqlite") else {"pool_recycle": 1800}
