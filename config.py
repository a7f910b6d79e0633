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


def _milliseconds(name: str, default: int) -> int:
    """A whole number of milliseconds from the environment, 0 to 1,000; a bad value stops
    start-up."""
    value = (os.environ.get(name) or "").strip()
    if not value:
        return default
    try:
        millis = int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number of milliseconds, not {value!r}") from None
    if not 0 <= millis <= 1000:
        raise ValueError(f"{name} must be from 0 to 1000 milliseconds, not {millis}")
    return millis


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


def _count(name: str, default: int) -> int:
    """A whole number >= 0 from the environment; a bad value stops start-up."""
    value = (os.environ.get(name) or "").strip()
    if not value:
        return default
    if not value.isdigit():
        raise ValueError(f"{name} must be a whole number (0 or more), not {value!r}")
    return int(value)


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    SECRET_KEY = _secret_key()
    # Flask-Compress (pages, JSON): brotli or gzip; streamed responses (files, exports) as they
    # are. Static files are compressed once in memory instead (openspace/web/assets.py).
    COMPRESS_ALGORITHM = ["br", "gzip"]
    COMPRESS_STREAMS = False
    # Part of the service worker's version (web/pwa): a new value makes every browser install
    # the worker again. Static files changing does that by itself; this is for the rest.
    BUILD_ID = os.environ.get("OPENSPACE_BUILD_ID") or ""
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
    # How long board changes are held for the clients that take them in batches (event:join
    # with batch: true, as the browser does), in milliseconds; docs/performance.md measured it.
    BOARD_BATCH_WINDOW = _milliseconds("OPENSPACE_BOARD_BATCH_MS", 50) / 1000
    # A refused (429) request or socket message is answered this many seconds late (at most
    # its Retry-After): waiting costs the server nothing, and a client flooding over a few
    # connections gets a few refusals a second instead of hundreds, each of which costs CPU.
    RATELIMIT_DELAY = 1.0
    # Reverse proxies in front of the app whose X-Forwarded-For is trusted for the client's
    # address (the per-address limits of docs/security.md): 1 behind the documented nginx.
    # 0 (the default) uses the connection's address: a client could write the header itself.
    TRUSTED_PROXIES = _count("OPENSPACE_TRUSTED_PROXIES", 0)
    # An idle or silent client connection (keep-alive, a half-open socket, a request sent
    # byte by byte) is closed after this long; it must exceed the ping interval, or quiet
    # WebSockets (which hear from their client once per ping) would be cut.
    SOCKET_TIMEOUT = _seconds("OPENSPACE_SOCKET_TIMEOUT", 60)
    if SOCKET_TIMEOUT <= PING_INTERVAL + PING_TIMEOUT:
        raise ValueError(f"OPENSPACE_SOCKET_TIMEOUT ({SOCKET_TIMEOUT} s) must be longer than "
                         f"the ping interval plus timeout ({PING_INTERVAL + PING_TIMEOUT} s)")
    # Socket.IO origins allowed besides the app's own; comma-separated, empty = same origin only.
    CORS_ORIGINS = [o for o in (os.environ.get("OPENSPACE_CORS_ORIGINS") or "").split(",") if o]
    # Links shown to attendees (join link, QR code) use this when set, else the request's host.
    BASE_URL = (os.environ.get("OPENSPACE_BASE_URL") or "").rstrip("/")
    # The host names and addresses this site answers to (comma-separated; ".example.org" also
    # allows its subdomains; ports are not compared). A request naming any other Host is
    # refused with 400, so a forged Host header never reaches join links, QR codes, mailed
    # links or the CSP. Unset: the host of OPENSPACE_BASE_URL, else this machine's own names
    # and network addresses (the venue LAN, web/security.py); in debug and testing without
    # either, any host.
    ALLOWED_HOSTS = [h.strip().lower() for h in
                     (os.environ.get("OPENSPACE_ALLOWED_HOSTS") or "").split(",") if h.strip()]
    # The address `openspace serve` listens on (it sets this): the projector tells organizers
    # when that is 127.0.0.1, which no phone reaches.
    SERVE_HOST: str | None = None
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
    # Restoring an event from its JSON export on the web (photos travel inside it, base64).
    MAX_RESTORE_SIZE = int(os.environ.get("OPENSPACE_MAX_RESTORE_SIZE") or 16 * 1024 * 1024)
    # Outgoing mail (password reset, sign-in links, invitations, notifications): off unless
    # OPENSPACE_MAIL_URL names an SMTP server, e.g. smtp://user:pass@host:587?starttls=1 or
    # smtps://user:pass@host:465 (domain/mail/transport.py reads it). Mails wait in a queue
    # in the database; `openspace serve` sends them (OPENSPACE_MAIL_WORKER=0: it leaves that
    # to `openspace mail worker`).
    MAIL_URL = os.environ.get("OPENSPACE_MAIL_URL") or ""
    MAIL_FROM = os.environ.get("OPENSPACE_MAIL_FROM") or ""
    MAIL_WORKER = _bool("OPENSPACE_MAIL_WORKER", True)
    if MAIL_URL and not MAIL_FROM:
        raise ValueError("OPENSPACE_MAIL_FROM must be set with OPENSPACE_MAIL_URL "
                         "(the address mails come from, e.g. openspace@example.org)")
    # The schedule advisor (domain/advisor/): how long CP-SAT may search per suggestion, with
    # how many worker threads (each a core while it runs).
    ADVISOR_TIME_LIMIT = float(os.environ.get("OPENSPACE_ADVISOR_TIME_LIMIT") or 4.0)
    ADVISOR_WORKERS = int(os.environ.get("OPENSPACE_ADVISOR_WORKERS") or 2)
    WTF_CSRF_TIME_LIMIT = None  # a phone page left open all day must still submit
    # Offer the pseudo-locale ([Ƀŕàçķéţéđ~~~] texts, openspace/i18n) in the language switch:
    # for finding texts that do not go through the catalogs, and texts that overflow.
    PSEUDO_LOCALE = _bool("OPENSPACE_PSEUDO_LOCALE", False)
    JSON_SORT_KEYS = False
    # How passwords are hashed (werkzeug's method names): scrypt, ~0.1 s of CPU per password.
    PASSWORD_HASH_METHOD = "scrypt"


class TestConfig(Config):
    TESTING = True
    SECRET_KEY = "test-secret-key"
    SQLALCHEMY_DATABASE_URI = database_url(
        os.environ.get("OPENSPACE_TEST_DATABASE_URL") or "sqlite://"
    )
    ASYNC_MODE = "threading"
    MESSAGE_QUEUE = None
    RATELIMIT_STORAGE = "memory://"
    RATELIMIT_DELAY = 0.0  # tests count refusals; tests/security/test_abuse_limits.py sets it
    WTF_CSRF_ENABLED = False
    SERVER_NAME = "localhost"
    PSEUDO_LOCALE = True
    MAIL_URL = ""  # tests that send mail start their own SMTP server (tests/mail)
    MAIL_FROM = ""
    ADVISOR_WORKERS = 1  # tests share a box; their boards are small enough for one
    # One round of PBKDF2: the suite makes and logs in thousands of accounts, and scrypt cost a
    # fifth of its CPU time. Live servers (`openspace serve`, tests/live.py) keep scrypt, and
    # tests/security/test_password_storage.py checks that Config does.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1"
