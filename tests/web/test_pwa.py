"""The installable app's server side: the manifest, the start page (the event opened last), the
service worker's script and scope, the viewer key that keeps accounts' pages apart, the offline
page."""

from __future__ import annotations

import json
import re

from .conftest import login_as


def test_manifest_names_the_app_its_icons_and_start(client):
    response = client.get("/manifest.webmanifest")

    manifest = json.loads(response.data)
    assert response.mimetype == "application/manifest+json"
    assert manifest["name"] == manifest["short_name"] == "openspace"
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "/app" and manifest["scope"] == "/"
    assert manifest["theme_color"] == "#1f5fbf"
    icons = {(icon["sizes"], icon["purpose"]) for icon in manifest["icons"]}
    assert icons == {("192x192", "any"), ("512x512", "any"), ("192x192", "maskable"),
                     ("512x512", "maskable")}
    for icon in manifest["icons"]:
        png = client.get(icon["src"])
        assert png.status_code == 200 and png.mimetype == "image/png"
        assert png.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_every_page_links_the_manifest_icon_and_theme(client, world):
    page = client.get(f"/e/{world.event.slug}").get_data(as_text=True)

    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert re.search(r'<link rel="apple-touch-icon" href="/static/icons/apple-touch-icon\.png\?v=',
                     page)
    assert '<meta name="theme-color" content="#1f5fbf">' in page
    assert re.search(r'<script type="module" src="/static/js/pwa\.js\?v=[0-9a-f]{12}">', page)


def test_the_app_starts_on_the_event_opened_last(client, world):
    assert client.get("/app").headers["Location"] == "/"

    client.get(f"/e/{world.event.slug}/now")

    assert client.get("/app").headers["Location"] == f"/e/{world.event.slug}"


def test_the_app_does_not_start_on_an_event_that_is_gone_or_hidden(client, world):
    client.set_cookie("openspace_event", "no-such-event")

    assert client.get("/app").headers["Location"] == "/"


def test_service_worker_is_served_from_the_root_with_its_build(client):
    response = client.get("/sw.js")

    body = response.get_data(as_text=True)
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    assert response.headers["Service-Worker-Allowed"] == "/"
    build = json.loads(re.match(r"self\.OPENSPACE_BUILD=(\{.*?\});\n", body).group(1))
    assert re.fullmatch(r"[0-9a-f]{12}", build["version"])
    assert "/offline" in build["shell"]
    assert any(url.startswith("/static/css/app.css?v=") for url in build["shell"])
    for url in build["shell"]:
        assert client.get(url).status_code == 200, url
    again = client.get("/sw.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_the_worker_precaches_what_the_editor_loads_later_not_the_editor_itself(client):
    body = client.get("/sw.js").get_data(as_text=True)
    shell = json.loads(re.match(r"self\.OPENSPACE_BUILD=(\{.*?\});\n", body).group(1))["shell"]
    live, notes = (client.get(f"/static/js/{name}").get_data(as_text=True)
                   for name in ("live.js", "notes.js"))
    # notes.js starts the editor (a chunk of its own) when the notes come near the screen.
    (editor_chunk,) = re.findall(r'import\("\./chunks/([^"]+\.js)"\)', notes)
    editor = client.get(f"/static/js/chunks/{editor_chunk}").get_data(as_text=True)
    static_imports = re.compile(r'(?:from|import)\s*"\./chunks/([^"]+\.js)"')
    editor_imports = re.compile(r'(?:from|import)\s*"\./([^"]+\.js)"')  # chunk to chunk
    editor_only = ({editor_chunk, *editor_imports.findall(editor)}
                   - set(static_imports.findall(live)))

    chunks = {url.rsplit("/", 1)[1] for url in shell if "/js/chunks/" in url}
    later = set(re.findall(r'import\("\./([^"]+\.js)"\)', editor))
    assert len(editor_only) > 1 and not editor_only & chunks  # cached when the editor is used
    assert later and later <= chunks  # the Markdown language, the mentions: offline too
    assert set(static_imports.findall(live)) <= chunks
    assert not any("notes.js" in url for url in shell)


def test_a_new_build_id_is_a_new_worker(app, client):
    first = client.get("/sw.js").headers["ETag"]
    app.config["BUILD_ID"] = "next deployment"

    assert client.get("/sw.js").headers["ETag"] != first


def test_pages_name_their_viewer_opaquely_and_apart(client, world):
    anonymous = client.get(f"/e/{world.event.slug}").headers["X-Openspace-Viewer"]
    login_as(client, world.participant)
    participant = client.get(f"/e/{world.event.slug}").headers["X-Openspace-Viewer"]
    login_as(client, world.organizer)
    organizer = client.get(f"/e/{world.event.slug}").headers["X-Openspace-Viewer"]

    assert anonymous == "anon"
    assert re.fullmatch(r"[0-9a-f]{20}", participant)
    assert len({anonymous, participant, organizer}) == 3


def test_offline_page_is_the_same_for_everyone(client, world):
    login_as(client, world.participant)

    page = client.get("/offline").get_data(as_text=True)

    assert "You are offline" in page
    assert world.participant.name not in page
    assert "Log out" not in page
