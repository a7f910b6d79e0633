"""The board's per-version cache: the board JSON and the board page's live fragments, rendered
once per (event, version, what else they show) and answered 304 to a client that has them.

A thousand phones refetch the board at once after a restart or a wifi blip; most of them have
it already (304, no body), the others get bytes rendered and compressed once.

A tag names the content it stands for: the event's row (its board version, which every board
change bumps, and its name, zone, language, state, visibility...; not its join code), the
names of the conveners its topics show (a rename changes the board, not its version), the build
(templates, icons), and, for a page's fragment, the language and what of the viewer it shows
(their role, the topics they come to), hashed with the app's secret key.
All of it is read from the database on every request, so every process computes the same tag
for the same board, and a change committed by any process (or the CLI) is a new tag on all of
them: there is nothing to invalidate by message, and no tag outlives what it names. The
rendered bodies are kept per process, by tag (least recently used go first); who may see the
event is checked before the cache is asked, as before rendering (a private event 404s for
outsiders), and a body that differs per viewer is keyed by what differs.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import threading
from collections import OrderedDict
from collections.abc import Callable

import brotli
import sqlalchemy as sa
from flask import current_app, request, url_for
from werkzeug.wrappers import Response

from ...extensions import db
from ...models import Event, Topic, TopicStatus, User

ENTRIES = 256  # rendered bodies kept per process (a board's JSON ~10-40 kB, with encodings)
SECRET_COLUMNS = frozenset({"join_code"})  # not on the board, and not to be guessed at from a tag
HEADERS = {"Cache-Control": "private, no-cache", "Vary": "Accept-Encoding"}


class _Bodies:
    """Bodies by tag, each with its compressed forms, made when first asked for."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[str, dict[str, bytes]] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, tag: str) -> dict[str, bytes] | None:
        with self.lock:
            entry = self.entries.get(tag)
            if entry is not None:
                self.entries.move_to_end(tag)
            return entry

    def put(self, tag: str, body: bytes) -> dict[str, bytes]:
        with self.lock:
            entry = self.entries.setdefault(tag, {"identity": body})
            self.entries.move_to_end(tag)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)
            return entry


def bodies() -> _Bodies:
    """This app's bodies (one app per process when serving; the tests make many)."""
    return current_app.extensions.setdefault("board_cache", _Bodies(ENTRIES))


# Built once: a thousand refetches in a second each pay for the query, not for building it.
_CONVENERS = (
    sa.select(User.id, User.name).join(Topic, Topic.convener_id == User.id)
    .where(Topic.event_id == sa.bindparam("event_id"),
           Topic.status.in_([TopicStatus.PROPOSED, TopicStatus.PLACED]))
    .distinct().order_by(User.id))


def _conveners(event: Event) -> list[tuple[int, str]]:
    """The names the board shows besides its topics': their conveners'."""
    return [tuple(row) for row in db.session.execute(_CONVENERS, {"event_id": event.id})]


TEMPLATES = ("board/live.html", "board/_state.html", "board/_grid.html", "_macros.html")


def _build() -> str:
    """What a deployment changes in how the same board renders: the templates the fragment is
    made of, the icon sprite's fingerprint, OPENSPACE_BUILD_ID (once per process)."""
    app = current_app._get_current_object()
    known = app.extensions.get("board_cache_build")
    if known is None:
        sources = "".join(app.jinja_env.loader.get_source(app.jinja_env, name)[0]
                          for name in TEMPLATES)
        known = hashlib.sha256((sources + app.config.get("BUILD_ID", "")
                                + url_for("static", filename="icons.svg")).encode()).hexdigest()
        app.extensions["board_cache_build"] = known
    return known


def tag(kind: str, event: Event, *viewer: object) -> str:
    """The ETag of `kind` (the board JSON, a page's fragments) of this event as it is now, for a
    viewer described by `viewer` (what of them the content shows; nothing if it shows nothing)."""
    row = [str(getattr(event, column.key)) for column in Event.__table__.columns
           if column.key not in SECRET_COLUMNS]
    named = repr((kind, _build(), row, _conveners(event), viewer)).encode()
    # Keyed by the app's secret: a tag tells nobody anything about what it was made of.
    key = current_app.secret_key
    digest = hmac.new(key.encode() if isinstance(key, str) else key, named,
                      hashlib.sha256).hexdigest()
    return f'"v{event.board_version}-{digest[:20]}"'


def client_has(tag_: str) -> bool:
    sent = request.headers.get("If-None-Match", "")
    return sent.strip() == "*" or tag_ in (value.strip() for value in sent.split(","))


def _encoded(entry: dict[str, bytes]) -> tuple[str, bytes]:
    offered = request.accept_encodings
    for name in ("br", "gzip"):
        if offered[name]:
            if name not in entry:
                raw = entry["identity"]
                config = current_app.config
                entry[name] = (brotli.compress(raw, quality=config.get("COMPRESS_BR_LEVEL", 4))
                               if name == "br" else
                               gzip.compress(raw, compresslevel=config.get("COMPRESS_LEVEL", 6),
                                             mtime=0))
            return name, entry[name]
    return "identity", entry["identity"]


def respond(tag_: str, render: Callable[[], bytes], mimetype: str) -> Response:
    """304 if the client has `tag_`; else the body cached under it (rendered on a miss),
    compressed as the client accepts."""
    headers = {"ETag": tag_, **HEADERS}
    if client_has(tag_):
        return current_app.response_class(status=304, headers=headers)
    entry = bodies().get(tag_) or bodies().put(tag_, render())
    encoding, body = _encoded(entry)
    response = current_app.response_class(body, mimetype=mimetype, headers=headers)
    if encoding != "identity":
        response.headers["Content-Encoding"] = encoding  # Flask-Compress leaves it alone
    return response
