"""The installable app: its manifest, its start page, the service worker and the offline page.

The service worker (assets/sw.js → static/js/sw.js) is served from /sw.js so that its scope is
the whole app; this view puts its build in front of it: the version (a hash of the bundle, of
every file it precaches and of OPENSPACE_BUILD_ID) and the fingerprinted URLs of the app shell.
A new deployment changes that text, so browsers install the new worker and the page offers to
reload (assets/pwa.js). Pages carry `X-Openspace-Viewer`, an opaque key of who is logged in:
the worker keeps each viewer's pages in their own cache and empties the others' when it changes
(a logout, another account on a shared phone). docs/architecture.md, "Offline".
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

from flask import current_app, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from ... import i18n
from ...domain import events
from ...domain.errors import DomainError
from ...extensions import login_manager
from ...i18n import _
from ..assets import module_imports, module_later
from ..i18n import catalog_url
from ..pages import me
from . import bp

LAST_EVENT = "openspace_event"  # the slug of the event this browser opened last
THEME = "#1f5fbf"  # --accent in static/css/tokens.css
# Endpoints whose page names "the event the user opened" for the installed app's start.
EVENT_PAGES = {"board.show", "board.marketplace", "board.now", "board.my_agenda"}
# The app shell: precached when the worker installs (the note editor is cached when used).
SHELL = ["css/tokens.css", "css/app.css", "icons.svg", "js/live.js", "js/pwa.js",
         "icons/icon-192.png", "icons/favicon-32.png"]
# Cached when used, with the chunks only it imports (CodeMirror, ~90 KB on the wire): not
# downloaded for everyone who opens the board. notes.js is the small module that starts the
# editor (note-editor.js, one of its later chunks) when the notes come near the screen. The
# chunks the editor loads later (the Markdown language, the mentions) are small and are
# precached, so a note reloaded offline has them.
EDITOR = "js/notes.js"


def viewer_key() -> str:
    """Who is looking, as the service worker may know it: opaque, stable per account."""
    user = me()
    if user is None:
        return "anon"
    secret = current_app.config["SECRET_KEY"].encode()
    return hmac.new(secret, f"viewer:{user.id}".encode(), hashlib.sha256).hexdigest()[:20]


@bp.get("/manifest.webmanifest")
def manifest():
    body = {
        "name": "openspace",
        "short_name": "openspace",
        "description": _("Propose sessions, find your room, write the notes together."),
        "lang": i18n.current(),
        "id": "/",
        "start_url": url_for("pwa.start"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME,
        "background_color": "#f4f6f9",
        "icons": [
            *({"src": url_for("static", filename=f"icons/icon-{size}.png"),
               "sizes": f"{size}x{size}", "type": "image/png", "purpose": "any"}
              for size in (192, 512)),
            *({"src": url_for("static", filename=f"icons/maskable-{size}.png"),
               "sizes": f"{size}x{size}", "type": "image/png", "purpose": "maskable"}
              for size in (192, 512)),
        ],
    }
    response = current_app.response_class(json.dumps(body, ensure_ascii=False),
                                           mimetype="application/manifest+json")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/app")
def start():
    """The installed app opens here: on the event this browser opened last, if it still may."""
    slug = request.cookies.get(LAST_EVENT)
    if slug:
        try:
            event = events.get_event(slug, me())
        except DomainError:
            event = None
        if event is not None:
            return redirect(url_for("board.show", slug=event.slug))
    return redirect(url_for("events.index"))


@bp.get("/offline")
def offline():
    """What the service worker shows for a page it never saw: the list of what it has (filled
    in by assets/pwa.js from the viewer's cache). Cached for everyone alike, so it is rendered
    as for a visitor: no name, no account links."""
    g._login_user = login_manager.anonymous_user()
    return render_template("pwa/offline.html")


def _worker_build() -> tuple[str, str]:
    """The worker's script and its version."""
    folder = Path(current_app.static_folder)
    script = (folder / "js" / "sw.js").read_text()
    shell = [url_for("static", filename=name) for name in SHELL]
    # The chunks as the modules import them: by their (hashed) name, without a `v`.
    shared = {chunk for name in SHELL if name.endswith(".js") for chunk in module_imports(name)}
    editor_only = {*module_imports(EDITOR), *module_later(EDITOR)} - shared
    shell += [url_for("static", filename=f"js/chunks/{path.name}", v=None)
              for path in sorted((folder / "js" / "chunks").glob("*.js"))
              if f"js/chunks/{path.name}" not in editor_only]
    shell += [url_for("pwa.offline"), catalog_url()]
    version = hashlib.sha256("\n".join([
        hashlib.sha256(script.encode()).hexdigest(), *shell,
        current_app.config.get("BUILD_ID", "")]).encode()).hexdigest()[:12]
    build = {"version": version, "shell": shell}
    return f"self.OPENSPACE_BUILD={json.dumps(build)};\n{script}", version


@bp.get("/sw.js")
def service_worker():
    script, version = _worker_build()
    response = current_app.response_class(script, mimetype="text/javascript")
    # Checked on every navigation (browsers also do at most every 24 h): a new deployment is
    # seen at once. Its scope: the whole app, as it is served from the root.
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = "/"
    response.set_etag(version)
    return response.make_conditional(request)


@bp.after_app_request
def _mark_pages(response: Response) -> Response:
    if response.mimetype == "text/html":
        response.headers["X-Openspace-Viewer"] = viewer_key()
    if request.endpoint in EVENT_PAGES and response.status_code == 200 and request.view_args:
        slug = request.view_args.get("slug")
        if slug and request.cookies.get(LAST_EVENT) != slug:
            response.set_cookie(LAST_EVENT, slug, max_age=365 * 24 * 3600, httponly=True,
                                samesite="Lax", secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
