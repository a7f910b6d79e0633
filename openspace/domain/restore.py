"""Restoring an event from its JSON export on the web: upload, preview, confirm.

The same all-or-nothing import as `openspace import` (backup.import_event, every value through
the API's rules), with two differences for a file anyone logged in may upload: the uploader
becomes an organizer of the new event, and only the uploader's own email names an existing
account (backup._new_users). The uploaded file waits in the database (PendingImport, its key
hashed) between the preview and the confirmation, for at most KEEP, one per user.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from ..extensions import db
from ..i18n import _
from ..models import Event, PendingImport, User, utcnow
from . import backup
from . import validation as v
from .errors import NotAuthenticated, NotFound
from .tx import writing

KEEP = timedelta(hours=1)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def _require_user(user: User | None) -> User:
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotAuthenticated()
    return user


def stage(*, user: User, document: bytes, slug: object = None) -> tuple[str, dict]:
    """Check an uploaded export as the import would (raising its errors, per JSON path) and keep
    it for the confirmation; returns the key to confirm with and the preview."""
    user = _require_user(user)
    slug_ = _slug(slug)
    preview = backup.preview_import(backup.loads(document), slug=slug_, owner=user)
    key = secrets.token_urlsafe(24)
    with writing():
        db.session.execute(sa.delete(PendingImport).where(sa.or_(
            PendingImport.user_id == user.id, PendingImport.created_at < utcnow() - KEEP)))
        db.session.add(PendingImport(key_hash=_hash(key), user_id=user.id, document=document))
    return key, preview


def _slug(slug: object) -> str | None:
    text = v.lookup_key(slug, max_len=200) if slug is not None else None
    return text.strip() or None if text is not None else None


def _pending(user: User, key: object) -> PendingImport:
    row = None
    if isinstance(key, str) and 0 < len(key) <= 100:
        row = db.session.scalar(sa.select(PendingImport).where(
            PendingImport.key_hash == _hash(key), PendingImport.user_id == user.id,
            PendingImport.created_at >= utcnow() - KEEP))
    if row is None:
        raise NotFound(_("That upload is gone (it is kept for an hour): upload the file again."))
    return row


def confirm(*, user: User, key: object, slug: object = None) -> Event:
    """Create the event from the staged upload (checked again: the instance may have changed
    since the preview), then forget the upload."""
    user = _require_user(user)
    row = _pending(user, key)
    event = backup.import_event(backup.loads(row.document), slug=_slug(slug), owner=user)
    with writing():
        db.session.execute(sa.delete(PendingImport).where(PendingImport.user_id == user.id))
    return event


def preview_of(*, user: User, key: Any, slug: object = None) -> dict:
    user = _require_user(user)
    return backup.preview_import(backup.loads(_pending(user, key).document), slug=_slug(slug),
                                 owner=user)
