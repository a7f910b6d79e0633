"""What a phone on venue wifi downloads: compressed responses, fingerprinted static files cached
for a year, pages revalidated, and the byte budgets of the board and the note page (bytes as
served with gzip, the encoding every browser takes; not time)."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import brotli

from .conftest import login_as

STATIC = Path(__file__).resolve().parents[2] / "static"
GZIP = {"Accept-Encoding": "gzip"}
BOARD_BUDGET = 60 * 1024
NOTE_BUDGET = 160 * 1024  # 140 KB since the Markdown and the mentions load later (issue 13)
# esbuild's ES modules import their shared chunks as from"./chunks/chunk-X.js" (or import"...").
IMPORT = re.compile(r'(?:from|import)\s*"(\./[^"]+\.js)"')


def assets_of(page: str) -> list[str]:
    """The page's scripts and style sheets (as written in its HTML)."""
    scripts = re.findall(r'<script[^>]* src="([^"]+)"', page)
    styles = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
    return [url.replace("&amp;", "&") for url in scripts + styles]


def prefetched(page: str) -> list[str]:
    """What the page fetches at the lowest priority without running it (<link rel=prefetch>)."""
    return re.findall(r'<link rel="prefetch" href="([^"]+)">', page)


def wire_bytes(client, page: str, *, with_prefetched: bool = False) -> dict[str, int]:
    """Bytes on the wire (gzip, as served) of every script and style sheet the page loads,
    the modules' imports followed; with_prefetched: and of what it prefetches."""
    sizes: dict[str, int] = {}
    todo = assets_of(page) + (prefetched(page) if with_prefetched else [])
    while todo:
        url = todo.pop()
        path = url.split("?")[0]
        if path in sizes:
            continue
        response = client.get(url, headers=GZIP)
        assert response.status_code == 200, url
        sizes[path] = len(response.data)
        if response.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(response.data).decode()
        else:
            body = response.get_data(as_text=True)
        if path.endswith(".js"):
            base = path.rsplit("/", 1)[0]
            todo += [f"{base}/{name[2:]}" for name in IMPORT.findall(body)]
    return sizes


def test_static_url_names_the_content_hash_and_is_cached_a_year(client, world):
    page = client.get(f"/e/{world.event.slug}").get_data(as_text=True)
    css = next(url for url in assets_of(page) if "app.css" in url)

    response = client.get(css)

    assert re.fullmatch(r"/static/css/app\.css\?v=[0-9a-f]{12}", css)
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.data == (STATIC / "css" / "app.css").read_bytes()


def test_static_file_without_or_with_an_old_hash_is_revalidated(client):
    bare = client.get("/static/css/app.css")
    old = client.get("/static/css/app.css?v=000000000000")

    assert bare.status_code == old.status_code == 200
    assert bare.headers["Cache-Control"] == old.headers["Cache-Control"] == "no-cache"
    again = client.get("/static/css/app.css", headers={"If-None-Match": bare.headers["ETag"]})
    assert again.status_code == 304


def test_shared_chunks_are_immutable_by_name(client):
    chunk = next((STATIC / "js" / "chunks").glob("*.js"))

    response = client.get(f"/static/js/chunks/{chunk.name}")

    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_static_files_are_served_compressed_as_accepted(client):
    raw = (STATIC / "js" / "live.js").read_bytes()  # notes.js is only the editor's starter now

    as_br = client.get("/static/js/live.js", headers={"Accept-Encoding": "gzip, br"})
    as_gzip = client.get("/static/js/live.js", headers=GZIP)
    plain = client.get("/static/js/live.js")

    assert as_br.headers["Content-Encoding"] == "br"
    assert brotli.decompress(as_br.data) == raw
    assert as_gzip.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(as_gzip.data) == raw
    assert "Content-Encoding" not in plain.headers and plain.data == raw
    assert as_br.headers["Vary"] == as_gzip.headers["Vary"] == "Accept-Encoding"
    assert len(as_gzip.data) < len(raw) / 2
    # Each encoding has its own validator: a cache never mixes them up.
    assert len({as_br.headers["ETag"], as_gzip.headers["ETag"], plain.headers["ETag"]}) == 3


def test_static_file_is_not_varied_by_the_login_cookie(client, world):
    login_as(client, world.participant)

    response = client.get("/static/css/app.css", headers=GZIP)

    assert response.headers["Vary"] == "Accept-Encoding"


def test_pages_are_compressed_and_revalidated(client, world):
    login_as(client, world.participant)

    response = client.get(f"/e/{world.event.slug}", headers=GZIP)

    assert response.headers["Content-Encoding"] == "gzip"
    assert b"<!doctype html>" in gzip.decompress(response.data)
    assert response.headers["Cache-Control"] == "private, no-cache"


def test_json_is_compressed(client, world):
    response = client.get(f"/api/v1/events/{world.event.slug}/board", headers=GZIP)

    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"


def test_missing_static_file_is_404(client):
    assert client.get("/static/js/nothing.js").status_code == 404
    assert client.get("/static/../config.py").status_code == 404


def test_board_page_within_budget_and_without_editor_code(client, world):
    login_as(client, world.participant)
    page = client.get(f"/e/{world.event.slug}").get_data(as_text=True)

    sizes = wire_bytes(client, page)

    assert "/static/js/live.js" in sizes and "/static/css/app.css" in sizes
    assert "/static/js/notes.js" not in sizes
    loaded = b"".join(client.get(path).data for path in sizes if path.endswith(".js"))
    assert b"cm-editor" not in loaded  # CodeMirror's class names: no editor code at all
    assert sum(sizes.values()) <= BOARD_BUDGET, sizes


def test_note_page_within_budget(client, world, make_topic):
    topic = make_topic(world.event, world.participant, "Hiring juniors")
    login_as(client, world.participant)
    page = client.get(f"/t/{topic.id}").get_data(as_text=True)

    sizes = wire_bytes(client, page)
    with_editor = wire_bytes(client, page, with_prefetched=True)

    assert "/static/js/notes.js" in sizes
    assert any(path.startswith("/static/js/chunks/") for path in sizes)  # shared with the board
    # The editor is not run with the page (notes.js starts it near the notes), but it is
    # fetched with it: the budget counts it.
    loaded = b"".join(client.get(path).data for path in sizes if path.endswith(".js"))
    assert b"cm-editor" not in loaded
    assert any("note-editor" in path for path in with_editor)
    assert sum(with_editor.values()) <= NOTE_BUDGET, with_editor


def test_pages_preload_the_chunks_their_modules_import(client, world):
    page = client.get(f"/e/{world.event.slug}").get_data(as_text=True)

    preloaded = set(re.findall(r'<link rel="modulepreload" href="([^"]+)">', page))
    sizes = wire_bytes(client, page)

    chunks = {path for path in sizes if path.startswith("/static/js/chunks/")}
    assert chunks and preloaded == chunks  # every import, fetched alongside, not after
    assert not any("photos" in path for path in preloaded)  # loaded only where it is used


def test_note_page_prefetches_the_editor_but_not_what_it_loads_later(client, world,
                                                                     make_topic):
    topic = make_topic(world.event, world.participant, "Hiring juniors")
    login_as(client, world.participant)
    page = client.get(f"/t/{topic.id}").get_data(as_text=True)

    preloaded = set(re.findall(r'<link rel="modulepreload" href="([^"]+)">', page))
    sizes = wire_bytes(client, page)
    with_editor = wire_bytes(client, page, with_prefetched=True)

    assert preloaded == {path for path in sizes if path.startswith("/static/js/chunks/")}
    notes = client.get("/static/js/notes.js").get_data(as_text=True)
    editor = [f"/static/js/{name[2:]}" for name in re.findall(r'import\("(\./[^"]+)"\)', notes)]
    assert len(editor) == 1 and "note-editor" in editor[0]  # all notes.js starts, later
    # The editor and what it imports are prefetched (not preloaded: that would compile them),
    # nothing twice.
    assert set(prefetched(page)) == set(with_editor) - set(sizes)
    assert editor[0] in prefetched(page) and not preloaded & set(prefetched(page))
    code = client.get(editor[0]).get_data(as_text=True)
    later = {f"/static/js/chunks/{name[2:]}"
             for name in re.findall(r'import\("(\./[^"]+)"\)', code)}
    assert any("note-markdown" in path for path in later)  # the Markdown language: after
    assert any("mentions" in path for path in later)
    assert not later & preloaded and not later & set(with_editor)
