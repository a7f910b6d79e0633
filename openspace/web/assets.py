"""Static files: fingerprinted URLs, a year of caching, served compressed.

Every `url_for("static", filename=...)` gets `?v=<hash of the file's content>`; a request that
names the current hash is answered `Cache-Control: public, max-age=31536000, immutable`, so a
phone on venue wifi asks for a file once per deployment, and a new build changes the URL. Any
other request for a static file (no or an old `v`) is revalidated (`no-cache`). esbuild's shared
chunks (`js/chunks/name-HASH.js`) carry their hash in the name, so they are immutable as they are.

Files are compressed once per process, in memory (brotli when the browser takes it, else gzip):
the bundles are built files that only change with a deployment. Pages and JSON are compressed by
Flask-Compress (extensions.compress); pages are always revalidated (`no-cache`, private).
nginx (deploy/nginx.conf) passes all of this through unchanged (docs/deploy.md).
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
import posixpath
import re
import threading
from pathlib import Path

import brotli
from flask import Flask, abort, current_app, g, request, url_for
from flask.sessions import SecureCookieSessionInterface
from markupsafe import Markup, escape
from werkzeug.security import safe_join
from werkzeug.wrappers import Response

YEAR = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Worth compressing; images (PNG, JPEG) are compressed already.
COMPRESSIBLE = {"text/css", "text/javascript", "application/javascript", "application/json",
                "application/manifest+json", "image/svg+xml", "text/plain"}
HASHED_NAMES = ("js/chunks/",)  # esbuild names these by content: immutable without a `v`

_lock = threading.Lock()
_digests: dict[str, tuple[int, int, str]] = {}  # path -> (mtime_ns, size, digest)
_bodies: dict[tuple[str, int, str], bytes] = {}  # (path, mtime_ns, encoding) -> body


def _path(filename: str) -> Path | None:
    joined = safe_join(current_app.static_folder, filename)
    if joined is None or not os.path.isfile(joined):
        return None
    return Path(joined)


def digest(filename: str) -> str | None:
    """The content hash of a static file (12 hex digits), None if there is no such file."""
    path = _path(filename)
    if path is None:
        return None
    stat = path.stat()
    known = _digests.get(str(path))
    if known and known[:2] == (stat.st_mtime_ns, stat.st_size):
        return known[2]
    value = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    _digests[str(path)] = (stat.st_mtime_ns, stat.st_size, value)
    return value


def _mimetype(filename: str) -> str:
    if filename.endswith(".js"):
        return "text/javascript"
    if filename.endswith(".webmanifest"):
        return "application/manifest+json"
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def _encoding(mimetype: str) -> str:
    if mimetype not in COMPRESSIBLE:
        return "identity"
    offered = request.accept_encodings
    for name in ("br", "gzip"):
        if offered[name]:
            return name
    return "identity"


def _body(path: Path, encoding: str) -> bytes:
    key = (str(path), path.stat().st_mtime_ns, encoding)
    body = _bodies.get(key)
    if body is None:
        raw = path.read_bytes()
        if encoding == "br":
            # Quality 9: the editor bundle in ~0.5 s, once per process and build (11 would hold
            # the event loop for ~5 s for 7 % fewer bytes; 5 sends 3 % more than 9).
            body = brotli.compress(raw, quality=9)
        elif encoding == "gzip":
            body = gzip.compress(raw, compresslevel=9, mtime=0)
        else:
            body = raw
        with _lock:
            for old in [k for k in _bodies if k[0] == key[0] and k[1] != key[1]]:
                del _bodies[old]  # an older build of the same file
            _bodies[key] = body
    return body


def cache_control(filename: str, current: str) -> str:
    if request.args.get("v") == current or filename.startswith(HASHED_NAMES):
        return YEAR
    return REVALIDATE


def send_static(filename: str) -> Response:
    """The static view: the file, compressed as the browser accepts, with its cache header."""
    path = _path(filename)
    current = digest(filename) if path else None
    if path is None or current is None:
        abort(404)
    mimetype = _mimetype(filename)
    encoding = _encoding(mimetype)
    response = current_app.response_class(_body(path, encoding), mimetype=mimetype)
    if encoding != "identity":
        response.headers["Content-Encoding"] = encoding
    response.headers["Vary"] = "Accept-Encoding"
    response.headers["Cache-Control"] = cache_control(filename, current)
    response.set_etag(f"{current}-{encoding}")
    return response.make_conditional(request)


# esbuild's static imports between modules: from"./chunks/chunk-X.js" or import"./chunk-Y.js"
# (not the dynamic import("..."), which loads later on purpose).
_IMPORT = re.compile(r'(?:from|import)\s*"(\./[^"]+\.js)"')
_DYNAMIC = re.compile(r'import\("(\./[^"]+\.js)"\)')
_imports: dict[tuple[str, str, bool], list[str]] = {}


def _refs(name: str, dynamic: bool) -> list[str]:
    """The modules one file imports (static-relative names): statically, or with import()."""
    key = (name, digest(name) or "", dynamic)
    if key not in _imports:
        path = _path(name)
        text = path.read_text() if path else ""
        base = posixpath.dirname(name)
        _imports[key] = [posixpath.normpath(posixpath.join(base, ref))
                         for ref in (_DYNAMIC if dynamic else _IMPORT).findall(text)]
    return _imports[key]


def module_imports(filename: str) -> list[str]:
    """Every static file a module imports, directly or not (static-relative names)."""
    found: list[str] = []
    todo = [filename]
    while todo:
        for child in _refs(todo.pop(), dynamic=False):
            if child not in found:
                found.append(child)
                todo.append(child)
    return found


def module_later(filename: str) -> list[str]:
    """What a module loads later (its own import("...")s, each with its static imports), not
    what it imports statically; not followed further (the later module's own import()s)."""
    found: list[str] = []
    for later in _refs(filename, dynamic=True):
        for name in [later, *module_imports(later)]:
            if name not in found:
                found.append(name)
    static = set(module_imports(filename))
    return [name for name in found if name not in static]


def module_script(filename: str, prefetch: bool = False) -> Markup:
    """<script type="module"> for a bundle, after a modulepreload of each chunk it imports: the
    browser fetches them with it, not one round trip later (that is 0.4 s on a 400 ms link).
    With `prefetch`, what the module loads later is fetched too, at the lowest priority and
    without being run (<link rel="prefetch">): the notes editor, which notes.js starts only
    when the notes come near the screen, is then in the cache (and the worker's, offline)."""
    preloaded = g.setdefault("_modulepreloaded", set())  # by this page's earlier scripts
    links = [f'<link rel="modulepreload" href="{escape(url_for("static", filename=name, v=None))}">'
             for name in module_imports(filename)]
    preloaded.update(module_imports(filename))
    if prefetch:
        links += [f'<link rel="prefetch" href="{escape(url_for("static", filename=name, v=None))}">'
                  for name in module_later(filename) if name not in preloaded]
    script = f'<script type="module" src="{escape(url_for("static", filename=filename))}"></script>'
    return Markup("".join([*links, script]))


def static_url_defaults(endpoint: str, values: dict) -> None:
    """url_for("static", filename=f) -> /static/f?v=<hash>: the fingerprinted URL."""
    if endpoint != "static" or "v" in values or "filename" not in values:
        return
    value = digest(values["filename"])
    if value:
        values["v"] = value


def revalidate_pages(response: Response) -> Response:
    """Pages are checked with the server every time (they change with every claim)."""
    if response.mimetype == "text/html" and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "private, no-cache"
    return response


class Sessions(SecureCookieSessionInterface):
    """The login cookie is read on every request (the rate limit asks who it is), so Flask
    would send "Vary: Cookie" with static files too, and logging in would make the browser
    fetch them again: a static file is the same for everyone."""

    def save_session(self, app, session, response) -> None:
        if request.endpoint == "static" and not session.modified:
            session.accessed = False
        super().save_session(app, session, response)


def register(app: Flask) -> None:
    app.session_interface = Sessions()
    app.view_functions["static"] = send_static
    app.url_defaults(static_url_defaults)
    app.after_request(revalidate_pages)
    app.add_template_global(module_script)
