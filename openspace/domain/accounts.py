"""Accounts: registration, login, quick join, API tokens, session invalidation."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from ..models import ApiToken, User, utcnow
from . import ratelimit
from . import validation as v
from .errors import Conflict, NotAllowed, NotAuthenticated, RateLimited
from .signals import sessions_ended
from .tx import writing

TOKEN_PREFIX = "ost_"
# The session key holding a browser login's random id: logging out cuts the live connections
# opened by that login (and only those: the user's other devices stay logged in).
LOGIN_KEY = "login_id"
# Checked against when an email is unknown, so a login takes as long either way.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def _email_taken(email: str) -> bool:
    return db.session.scalar(sa.select(User.id).where(User.email == email)) is not None


def register_user(*, email: object, password: object, name: object) -> User:
    """Create an account with email and password; emails are unique, case-insensitively."""
    fields = v.Fields()
    email_ = v.email(fields, "email", email)
    password_ = v.password(fields, "password", password)
    name_ = v.text(fields, "name", name, max_len=v.NAME_MAX, required=True)
    fields.check()
    with writing():
        if _email_taken(email_):
            raise Conflict("An account with that email exists already.", code="email_taken",
                           fields={"email": "is already registered"})
        user = User(email=email_, name=name_, password_hash=generate_password_hash(password_))
        db.session.add(user)
    return user


def create_quick_user(*, name: object) -> User:
    """A lightweight account with just a display name, for attendees joining on a phone."""
    fields = v.Fields()
    name_ = v.text(fields, "name", name, max_len=v.NAME_MAX, required=True)
    fields.check()
    with writing():
        user = User(name=name_)
        db.session.add(user)
    return user


def authenticate(*, email: object, password: object) -> User:
    """The user with this email and password, else NotAuthenticated (same message either way)."""
    email_ = (v.lookup_key(email, max_len=2 * v.EMAIL_MAX) or "").strip().lower()
    password_ = password if isinstance(password, str) else ""
    _throttle_password_attempt(f"email:{email_[:v.EMAIL_MAX]}")
    user = db.session.scalar(sa.select(User).where(User.email == email_)) if email_ else None
    if user is None or user.password_hash is None:
        check_password_hash(_DUMMY_HASH, password_)
        raise NotAuthenticated("Wrong email or password.")
    if not check_password_hash(user.password_hash, password_):
        raise NotAuthenticated("Wrong email or password.")
    return user


def _throttle_password_attempt(account: str) -> None:
    """Every password check spends from the account's "login" bucket (per account, not per IP:
    a venue shares one address), before the password is looked at."""
    try:
        ratelimit.hit(account, "login")
    except RateLimited as error:
        wait = error.extra.get("retry_after") or 1
        raise RateLimited(f"Too many password attempts for this account; try again in "
                          f"{wait:.0f} s.", retry_after=wait) from None


def add_credentials(*, user: User, email: object, password: object) -> User:
    """A quick-join account adds email and password, keeping its memberships and topics."""
    if not user.is_quick:
        raise NotAllowed("This account has a password already; change it instead.")
    fields = v.Fields()
    email_ = v.email(fields, "email", email)
    password_ = v.password(fields, "password", password)
    fields.check()
    with writing():
        if _email_taken(email_):
            raise Conflict("An account with that email exists already.", code="email_taken",
                           fields={"email": "is already registered"})
        user.email = email_
        user.password_hash = generate_password_hash(password_)
    return user


def change_password(*, user: User, current: object, new: object) -> User:
    """Change the password; every other session of this user is logged out."""
    fields = v.Fields()
    new_ = v.password(fields, "new_password", new)
    fields.check()
    _throttle_password_attempt(f"user:{user.id}")
    if not isinstance(current, str) or not user.password_hash or not check_password_hash(
        user.password_hash, current
    ):
        raise NotAuthenticated("The current password is wrong.",
                               fields={"current_password": "is wrong"})
    with writing():
        user.password_hash = generate_password_hash(new_)
        user.session_epoch += 1
    sessions_ended.send(user.id, login=None, tokens=False)
    return user


def update_profile(*, user: User, name: object) -> User:
    fields = v.Fields()
    name_ = v.text(fields, "name", name, max_len=v.NAME_MAX, required=True)
    fields.check()
    with writing():
        user.name = name_
    return user


def end_all_sessions(*, user: User) -> None:
    """Invalidate every session cookie of this user (logout everywhere)."""
    with writing():
        user.session_epoch += 1
    sessions_ended.send(user.id, login=None, tokens=False)


def new_login_id() -> str:
    return secrets.token_urlsafe(16)


def end_session(*, user: User, login: str | None) -> None:
    """Log one browser out: its live connections are cut too (its cookie is cleared by the
    caller). The other devices of the user stay logged in."""
    sessions_ended.send(user.id, login=login or "", tokens=False)


def load_session_user(session_id: str) -> User | None:
    """The user for a Flask-Login id "<user id>:<epoch>", if that epoch is still current."""
    user_id, _, epoch = session_id.partition(":")
    if not (user_id.isdigit() and epoch.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_epoch != int(epoch):
        return None
    return user


def ended_logins(*, sessions: set[str], tokens: set[str]) -> set[str]:
    """Of these Flask-Login ids ("<user id>:<epoch>") and API tokens, the ones no longer valid
    (the epoch moved on, the user is gone, the token was revoked): a few queries for all."""
    ended: set[str] = set()
    wanted: dict[int, set[str]] = {}
    for session_id in sessions:
        user_id, _, epoch = session_id.partition(":")
        if user_id.isdigit() and epoch.isdigit():
            wanted.setdefault(int(user_id), set()).add(session_id)
        else:
            ended.add(session_id)
    ids = sorted(wanted)
    current: dict[int, int] = {}
    for start in range(0, len(ids), 500):
        rows = db.session.execute(sa.select(User.id, User.session_epoch).where(
            User.id.in_(ids[start:start + 500])))
        current.update({user_id: epoch for user_id, epoch in rows})
    for user_id, session_ids in wanted.items():
        ended |= {sid for sid in session_ids if sid != f"{user_id}:{current.get(user_id)}"}
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


def login_token(*, email: object, password: object, label: object = "") -> str:
    """The API's login: a new token for the account with this email and password."""
    user = authenticate(email=email, password=password)
    return create_token(user=user, label=label)


def user_for_token(token: str) -> User | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 100:
        return None
    row = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == _hash_token(token)))
    if row is None:
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


def revoke_tokens(*, user: User) -> int:
    with writing():
        result = db.session.execute(sa.delete(ApiToken).where(ApiToken.user_id == user.id))
    sessions_ended.send(user.id, login=None, tokens=True)
    return result.rowcount
