"""Accounts: registration, login, quick join, API tokens, session invalidation."""

from __future__ import annotations

import hashlib
import os
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, has_app_context
from werkzeug.security import check_password_hash, generate_password_hash

from .. import i18n
from ..extensions import db
from ..i18n import _
from ..models import ApiToken, Login, User, utcnow
from . import ratelimit
from . import validation as v
from .errors import Conflict, NotAllowed, NotAuthenticated, RateLimited
from .offload import Slots
from .signals import sessions_ended
from .tx import writing

TOKEN_PREFIX = "ost_"
# A browser login lasts at most this long (the remember cookie's lifetime, config.py): older
# rows no longer log anyone in, and are deleted at the user's next login.
LOGIN_LIFETIME = timedelta(days=365)
# Checked against when an email is unknown, so a login takes as long either way: one per
# hashing method (PASSWORD_HASH_METHOD; scrypt's made at import, another when first needed).
_DUMMY_HASHES = {"scrypt": generate_password_hash("not-a-real-password", method="scrypt")}
# scrypt costs ~0.1 s of CPU per password: in OS threads (offload.py), at most one per core but
# one, so logins never take the core the server's event loop runs on.
_HASH_SLOTS = Slots(max(1, (os.cpu_count() or 2) - 1))


def _hash_method() -> str:
    """werkzeug's method: scrypt (config.py). TestConfig names a cheap one, so that the tests'
    thousands of accounts and logins do not spend a tenth of a CPU second each; the stored
    hash names its method, so checking it is the same code either way."""
    method = current_app.config.get("PASSWORD_HASH_METHOD") if has_app_context() else None
    return method or "scrypt"


def hash_password(password: str) -> str:
    """The stored form of a password (scrypt: PASSWORD_HASH_METHOD), computed off the event
    loop."""
    method = _hash_method()
    return _HASH_SLOTS.run(lambda: generate_password_hash(password, method=method))


def _dummy_hash() -> str:
    method = _hash_method()
    if method not in _DUMMY_HASHES:
        _DUMMY_HASHES[method] = _HASH_SLOTS.run(
            lambda: generate_password_hash("not-a-real-password", method=method))
    return _DUMMY_HASHES[method]


_hash_password = hash_password


def _password_matches(password_hash: str, password: str) -> bool:
    return _HASH_SLOTS.run(lambda: check_password_hash(password_hash, password))


def _email_taken(email: str) -> bool:
    return db.session.scalar(sa.select(User.id).where(User.email == email)) is not None


def register_user(*, email: object, password: object, name: object,
                  client: str | None = None) -> User:
    """Create an account with email and password; emails are unique, case-insensitively.

    A request from the network (`client`: its address) spends from the address's "signup"
    bucket and everyone's "passwords" bucket first."""
    fields = v.Fields()
    email_ = v.email(fields, "email", email)
    password_ = v.password(fields, "password", password)
    name_ = v.text(fields, "name", name, max_len=v.NAME_MAX, required=True)
    fields.check()
    ratelimit.from_client(client, "signup", overall="passwords")
    if _email_taken(email_):
        raise Conflict(_("An account with that email exists already."), code="email_taken",
                       fields={"email": _("is already registered")})
    password_hash = _hash_password(password_)  # before the write lock, not under it
    with writing():
        if _email_taken(email_):
            raise Conflict(_("An account with that email exists already."), code="email_taken",
                           fields={"email": _("is already registered")})
        user = User(email=email_, name=name_, password_hash=password_hash)
        db.session.add(user)
    return user


def create_quick_user(*, name: object, client: str | None = None,
                      event_id: int | None = None) -> User:
    """A lightweight account with just a display name, for attendees joining on a phone.

    A request from the network (`client`: its address) spends from the address's and the
    event's "quick_join" buckets first."""
    fields = v.Fields()
    name_ = v.text(fields, "name", name, max_len=v.NAME_MAX, required=True)
    fields.check()
    ratelimit.from_client(client, "quick_join")
    if client is not None and event_id is not None:
        ratelimit.hit(f"event:{event_id}", "quick_join_event")
    with writing():
        user = User(name=name_)
        db.session.add(user)
    return user


def authenticate(*, email: object, password: object, client: str | None = None) -> User:
    """The user with this email and password, else NotAuthenticated (same message either way).

    Every try spends from the account's "login" bucket; a request from the network (`client`:
    its address) from the address's "signin" bucket and everyone's "passwords" bucket first."""
    email_ = (v.lookup_key(email, max_len=2 * v.EMAIL_MAX) or "").strip().lower()
    password_ = password if isinstance(password, str) else ""
    ratelimit.from_client(client, "signin", overall="passwords")
    _throttle_password_attempt(f"email:{email_[:v.EMAIL_MAX]}")
    user = db.session.scalar(sa.select(User).where(User.email == email_)) if email_ else None
    if user is None or user.password_hash is None:
        _password_matches(_dummy_hash(), password_)
        raise NotAuthenticated(_("Wrong email or password."))
    if not _password_matches(user.password_hash, password_):
        raise NotAuthenticated(_("Wrong email or password."))
    if user.is_disabled:
        raise NotAuthenticated(_("This account is disabled."), code="account_disabled")
    return user


def _throttle_password_attempt(account: str) -> None:
    """Every password check spends from the account's "login" bucket (per account, not per IP:
    a venue shares one address), before the password is looked at."""
    try:
        ratelimit.hit(account, "login")
    except RateLimited as error:
        wait = error.extra.get("retry_after") or 1
        raise RateLimited(_("Too many password attempts for this account; try again in "
                            "%(seconds)d s.", seconds=round(wait)), retry_after=wait) from None


def add_credentials(*, user: User, email: object, password: object) -> User:
    """A quick-join account adds email and password, keeping its memberships and topics; one
    with an address already (confirmed by mail, or imported) adds just the password."""
    if not user.is_quick:
        raise NotAllowed(_("This account has a password already; change it instead."))
    fields = v.Fields()
    email_ = user.email or v.email(fields, "email", email)
    password_ = v.password(fields, "password", password)
    fields.check()
    if not user.email and _email_taken(email_):
        raise Conflict(_("An account with that email exists already."), code="email_taken",
                       fields={"email": _("is already registered")})
    password_hash = _hash_password(password_)
    with writing():
        if user.email != email_ and _email_taken(email_):
            raise Conflict(_("An account with that email exists already."), code="email_taken",
                           fields={"email": _("is already registered")})
        user.email = email_
        user.password_hash = password_hash
    return user


def change_password(*, user: User, current: object, new: object) -> User:
    """Change the password; every other session of this user is logged out."""
    fields = v.Fields()
    new_ = v.password(fields, "new_password", new)
    fields.check()
    _throttle_password_attempt(f"user:{user.id}")
    if not isinstance(current, str) or not user.password_hash or not _password_matches(
        user.password_hash, current
    ):
        raise NotAuthenticated(_("The current password is wrong."),
                               fields={"current_password": _("is wrong")})
    password_hash = _hash_password(new_)
    with writing():
        user.password_hash = password_hash
        end_every_login(user)
    sessions_ended.send(user.id, login=None, tokens=False)
    return user


def update_profile(*, user: User, name: object) -> User:
    fields = v.Fields()
    name_ = v.text(fields, "name", name, max_len=v.NAME_MAX, required=True)
    fields.check()
    with writing():
        user.name = name_
    return user


def set_language(*, user: User, language: object) -> User:
    """The language the person reads openspace in, on every device; None or "" forgets the
    choice (their browser's or the event's language is spoken again)."""
    fields = v.Fields()
    chosen = None
    if language not in (None, ""):
        chosen = v.choice(fields, "language", language, i18n.available())
    fields.check()
    with writing():
        user.locale = chosen
    return user


def end_all_sessions(*, user: User) -> None:
    """Invalidate every session and remember cookie of this user (logout everywhere)."""
    with writing():
        end_every_login(user)
    sessions_ended.send(user.id, login=None, tokens=False)


def end_every_login(user: User) -> None:
    """Within the caller's transaction: every browser login of the user ends (the epoch moves
    on, so every cookie naming the old one fails; the rows go). The caller sends
    sessions_ended after its commit, which cuts the live connections."""
    user.session_epoch += 1
    db.session.execute(sa.delete(Login).where(Login.user_id == user.id))


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start_login(*, user: User) -> str:
    """A new browser login of this user (a device): its row, and the Flask-Login id
    "<user id>:<epoch>:<key>" that the session and remember cookies carry."""
    key = secrets.token_urlsafe(24)
    with writing():
        db.session.execute(sa.delete(Login).where(
            Login.user_id == user.id, Login.created_at < utcnow() - LOGIN_LIFETIME))
        db.session.add(Login(user_id=user.id, key_hash=_key_hash(key)))
    return f"{user.id}:{user.session_epoch}:{key}"


def login_key(session_id: str | None) -> str | None:
    """The device key of a Flask-Login id, or None for a malformed or legacy one."""
    parts = (session_id or "").split(":")
    return parts[2] if len(parts) == 3 and parts[2] else None


def login_parts(session_id: str | None) -> tuple[int, int, str | None] | None:
    """A Flask-Login id "<user id>:<epoch>[:<key>]" as (user id, epoch, key or None), or None
    for a malformed one."""
    return _parse(session_id or "")


def end_session(*, user: User, session_id: str | None) -> None:
    """Log one browser out: its login row goes, so its session and remember cookies no longer
    work even if replayed, and its live connections are cut. The other devices of the user
    stay logged in."""
    key = login_key(session_id)
    if key is not None:
        with writing():
            db.session.execute(sa.delete(Login).where(Login.user_id == user.id,
                                                      Login.key_hash == _key_hash(key)))
    sessions_ended.send(user.id, login=key or "", tokens=False)


def _parse(session_id: str) -> tuple[int, int, str | None] | None:
    parts = session_id.split(":") if isinstance(session_id, str) else []
    if len(parts) not in (2, 3) or not (parts[0].isdigit() and parts[1].isdigit()):
        return None
    if len(parts) == 3 and not (0 < len(parts[2]) <= 64):
        return None
    return int(parts[0]), int(parts[1]), parts[2] if len(parts) == 3 else None


def load_session_user(session_id: str) -> User | None:
    """The user for a Flask-Login id "<user id>:<epoch>:<key>", if that epoch is current and
    that login has not ended (logged out, too old)."""
    parsed = _parse(session_id)
    if parsed is None or parsed[2] is None:
        return None
    user_id, epoch, key = parsed
    user = db.session.scalar(
        sa.select(User).join(Login, Login.user_id == User.id).where(
            User.id == user_id, Login.key_hash == _key_hash(key),
            Login.created_at >= utcnow() - LOGIN_LIFETIME))
    if user is None or user.session_epoch != epoch or user.is_disabled:
        return None
    return user


def upgrade_legacy_login(session_id: str) -> tuple[User, str] | None:
    """A cookie from before logins had rows ("<user id>:<epoch>", still current): the user and
    a new login for that browser, so that the next response gives it a revocable cookie (a
    quick-join attendee's remember cookie is their only way into their account)."""
    parsed = _parse(session_id)
    if parsed is None or parsed[2] is not None:
        return None
    user = db.session.get(User, parsed[0])
    if user is None or user.session_epoch != parsed[1] or user.is_disabled:
        return None
    return user, start_login(user=user)


def ended_logins(*, sessions: set[str], tokens: set[str]) -> set[str]:
    """Of these Flask-Login ids ("<user id>:<epoch>:<key>") and API tokens, the ones no longer
    valid (the epoch moved on, the login ended, the user is gone, the token was revoked): a few
    queries for all."""
    ended: set[str] = set()
    wanted: dict[int, set[str]] = {}
    keys_of: dict[str, str] = {}  # key hash -> session id
    for session_id in sessions:
        parsed = _parse(session_id)
        if parsed is None or parsed[2] is None:
            ended.add(session_id)
            continue
        wanted.setdefault(parsed[0], set()).add(session_id)
        keys_of[_key_hash(parsed[2])] = session_id
    ids = sorted(wanted)
    current: dict[int, int] = {}
    for start in range(0, len(ids), 500):
        rows = db.session.execute(sa.select(User.id, User.session_epoch).where(
            User.id.in_(ids[start:start + 500])))
        current.update({user_id: epoch for user_id, epoch in rows})
    for user_id, session_ids in wanted.items():
        ended |= {sid for sid in session_ids
                  if not sid.startswith(f"{user_id}:{current.get(user_id)}:")}
    hashes_ = sorted(keys_of)
    living: set[str] = set()
    for start in range(0, len(hashes_), 500):
        living.update(db.session.scalars(sa.select(Login.key_hash).where(
            Login.key_hash.in_(hashes_[start:start + 500]),
            Login.created_at >= utcnow() - LOGIN_LIFETIME)))
    ended |= {sid for key_hash, sid in keys_of.items() if key_hash not in living}
    hashes = {_hash_token(token): token for token in tokens}
    keys = sorted(hashes)
    alive: set[str] = set()
    for start in range(0, len(keys), 500):
        alive.update(db.session.scalars(sa.select(ApiToken.token_hash).where(
            ApiToken.token_hash.in_(keys[start:start + 500]))))
    ended |= {token for token_hash, token in hashes.items() if token_hash not in alive}
    return ended


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(*, user: User, label: object = "") -> str:
    """A new API token for scripts and bots; only its hash is stored, the token is returned once."""
    fields = v.Fields()
    label_ = v.text(fields, "label", label, max_len=v.TOKEN_LABEL_MAX)
    fields.check()
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with writing():
        db.session.add(ApiToken(user_id=user.id, token_hash=_hash_token(token), label=label_))
    return token


def login_token(*, email: object, password: object, label: object = "",
                client: str | None = None) -> str:
    """The API's login: a new token for the account with this email and password."""
    user = authenticate(email=email, password=password, client=client)
    return create_token(user=user, label=label)


def user_for_token(token: str) -> User | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _hash_token(token)))
    if row is None or row.user.is_disabled:
        return None
    now = utcnow()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 300:
        # Recorded at most every five minutes: a bot's requests should not each cost a write.
        try:
            db.session.execute(
                sa.update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now)
            )
            db.session.commit()
        except sa.exc.SQLAlchemyError:  # a busy database must not fail the request itself
            db.session.rollback()
    return row.user


def set_disabled(*, user: User, disabled: bool) -> User:
    """Disable an account (an instance admin's decision: domain/admin.py) or enable it again.
    Disabling ends every session, token and live connection of the account; enabling gives
    back nothing but the right to log in."""
    with writing():
        if disabled:
            user.disabled_at = user.disabled_at or utcnow()
            end_every_login(user)
            db.session.execute(sa.delete(ApiToken).where(ApiToken.user_id == user.id))
        else:
            user.disabled_at = None
    if disabled:
        sessions_ended.send(user.id, login=None, tokens=False)
        sessions_ended.send(user.id, login=None, tokens=True)
    return user


def set_notifications(*, user: User, sessions: object, summary: object) -> User:
    """Which mails the user wants: sessions they'll come to moved or were withdrawn; a summary
    of their events was published. Needs an address to send them to."""
    fields = v.Fields()
    sessions_ = v.boolean(fields, "sessions", sessions)
    summary_ = v.boolean(fields, "summary", summary)
    fields.check()
    if (sessions_ or summary_) and not user.email:
        raise NotAllowed(_("Add an email address to your account first."),
                         fields={"sessions": _("needs an email address")})
    with writing():
        user.notify_sessions = bool(sessions_)
        user.notify_summary = bool(summary_)
    return user


def revoke_tokens(*, user: User) -> int:
    with writing():
        result = db.session.execute(sa.delete(ApiToken).where(ApiToken.user_id == user.id))
    sessions_ended.send(user.id, login=None, tokens=True)
    return result.rowcount
