"""Configuration from the environment (OPENSPACE_* variables).

Every setting has a default that runs the embedded setup: SQLite in ./instance, one process.
"""

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("OPENSPACE_INSTANCE_DIR") or BASE_DIR / "instance")


def _secret_key() -> str:
    """Use OPENSPACE_SECRET_KEY, else a key generated once and kept in the instance folder."""
    if key := os.environ.get("OPENSPACE_SECRET_KEY"):
        return key
    path = INSTANCE_DIR / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        path.write_text(key)
        path.chmod(0o600)
        return key


def database_url(url: str) -> str:
    """PostgreSQL goes through psycopg2 (psycopg 3 does not cooperate with eventlet)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix):]
    return url


def _seconds(name: str, default: int) -> int:
    """A whole number of seconds from the environment, at least 1; a bad value stops start-up."""
    value = (os.environ.get(name) or "").strip()
    if not value:
        return default
    try:
        seconds = int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number of seconds, not {value!r}") from None
    if seconds < 1:
        raise ValueError(f"{name} must be at least 1 second, not {seconds}")
    return seconds


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    SECRET_KEY = _secret_key()
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("OPENSPACE_DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'openspace.db'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    # eventlet (default) or gevent; "threading" is for tests and debugging only.
    ASYNC_MODE = os.environ.get("OPENSPACE_ASYNC_MODE") or "eventlet"
    MESSAGE_QUEUE = os.environ.get("OPENSPACE_MESSAGE_QUEUE") or None
    # The Redis pub/sub channel (global across Redis db numbers): every process of one
    # deployment uses the same name; two deployments sharing a Redis use different ones. Also
    # the prefix of the rate-limit keys.
    MESSAGE_QUEUE_CHANNEL = os.environ.get("OPENSPACE_MESSAGE_QUEUE_CHANNEL") or "openspace"
    # memory:// (per process: right for one) or redis://...; several processes share Redis.
    RATELIMIT_STORAGE = os.environ.get("OPENSPACE_RATELIMIT_STORAGE") or (
        MESSAGE_QUEUE if (MESSAGE_QUEUE or "").startswith(("redis://", "rediss://"))
        else "memory://")
    # Socket.IO heartbeat: a client whose wifi dropped is noticed after at most interval +
    # timeout (Engine.IO's defaults, 25 + 20 s, left phones "online" for ~45 s). The browser
    # client takes both from the server, so it notices a dead server as quickly.
    PING_INTERVAL = _seconds("OPENSPACE_PING_INTERVAL", 10)
    PING_TIMEOUT = _seconds("OPENSPACE_PING_TIMEOUT", 10)
    # Socket.IO origins allowed besides the app's own; comma-separated, empty = same origin only.
    CORS_ORIGINS = [o for o in (os.environ.get("OPENSPACE_CORS_ORIGINS") or "").split(",") if o]
    # Links shown to attendees (join link, QR code) use this when set, else the request's host.
    BASE_URL = (os.environ.get("OPENSPACE_BASE_URL") or "").rstrip("/")
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Secure cookies travel over https only. The default run is plain http on a venue LAN, so
    # they are on by default only when the public address (OPENSPACE_BASE_URL) is https.
    SESSION_COOKIE_SECURE = _bool("OPENSPACE_SECURE_COOKIES", BASE_URL.startswith("https://"))
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 365  # quick-join attendees keep their account a year
    MAX_CONTENT_LENGTH = int(os.environ.get("OPENSPACE_MAX_CONTENT_LENGTH") or 1024 * 1024)
    WTF_CSRF_TIME_LIMIT = None  # a phone page left open all day must still submit
    JSON_SORT_KEYS = False


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("OPENSPACE_TEST_DATABASE_URL") or "sqlite://"
    )
    ASYNC_MODE = "threading"
    MESSAGE_QUEUE = None
    RATELIMIT_STORAGE = "memory://"
    WTF_CSRF_ENABLED = False
    SERVER_NAME = "localhost"
