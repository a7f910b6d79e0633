"""The installable app on wifi that drops: the service worker (assets/sw.js) shows our own pages
with the last data, never the browser's error page; forms sent offline stay on the page with a
note; logging out empties the account's kept pages; a new deployment's worker takes over when
the page is told to reload."""

from __future__ import annotations

import pytest

from tests.browser.conftest import log_in
from tests.browser.test_live_board import _propose_and_place
from tests.live import LiveServer, wait_for

SLUG = "drupal-cxo-brussels"
PAGES = "openspace-pages-v1-"

KEPT_URLS = """async () => {
  const urls = [];
  for (const name of (await caches.keys()).filter((n) => n.startsWith("PAGES"))) {
    for (const request of await (await caches.open(name)).keys()) urls.push(request.url);
  }
  return urls;
}""".replace("PAGES", PAGES)


def ready(page) -> None:
    """The worker controls the page and has kept it."""
    page.wait_for_selector("html[data-sw=ready]", state="attached", timeout=15000)
    page.wait_for_function("() => Boolean(navigator.serviceWorker.controller)", timeout=15000)


VERSION = """() => new Promise((resolve) => {
  const channel = new MessageChannel();
  channel.port1.onmessage = (event) => resolve(event.data.version);
  navigator.serviceWorker.controller.postMessage({ type: "VERSION" }, [channel.port2]);
})"""


def ours(page) -> None:
    assert not page.url.startswith("chrome-error://"), page.url
    assert page.locator("header.topbar .brand").inner_text() == "openspace"


def test_offline_reload_and_navigation_show_kept_pages_and_our_offline_page(live_server, phone):
    page = phone()
    board = f"{live_server.url}/e/{SLUG}"
    page.goto(board)
    ready(page)
    page.goto(f"{board}/now")  # through the worker now: kept as it passes
    page.wait_for_load_state()
    assert sorted(page.evaluate(KEPT_URLS)) == [board, f"{board}/now"]

    page.context.set_offline(True)
    page.reload()

    ours(page)
    assert page.title().startswith("Now & Next")
    banner = page.locator("[data-offline-banner]")
    assert banner.is_visible()
    assert banner.inner_text().startswith("Offline since ")
    assert banner.inner_text().endswith("showing what you saw last")

    page.goto(board)  # kept: the board with its last data
    ours(page)
    assert page.locator("h1").first.inner_text() == "Drupal CXO Brussels"
    assert page.locator("[data-offline-banner]").is_visible()

    page.goto(f"{live_server.url}/t/1")  # never opened on this phone: our offline page
    ours(page)
    assert page.locator("h1").inner_text() == "You are offline"
    kept = page.locator("[data-offline-list] a")
    kept.first.wait_for()
    assert sorted(kept.evaluate_all("links => links.map(a => a.getAttribute('href'))")) == \
        [f"/e/{SLUG}", f"/e/{SLUG}/now"]
    assert not page.locator("[data-offline-banner]").is_visible()

    kept.filter(has_text="Board").click()  # and from there, the kept board opens
    page.wait_for_load_state()
    ours(page)
    assert page.locator("h1").first.inner_text() == "Drupal CXO Brussels"
    page.context.set_offline(False)


KEPT_BOARD_HAS = """async (title) => {
  for (const name of (await caches.keys()).filter((n) => n.startsWith("PAGES"))) {
    const copy = await (await caches.open(name)).match(location.href);
    if (copy && (await copy.text()).includes(title)) return true;
  }
  return false;
}""".replace("PAGES", PAGES)

LEAVE_PAGE = """() => {
  Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
  document.dispatchEvent(new Event("visibilitychange"));
}"""


def test_the_kept_board_is_what_the_phone_showed_when_it_left_it(live_server, phone):
    """The board patches itself live (and refetches only its live regions), so the worker's
    copy is the board of the load: leaving the page hands the changed page to the worker, and
    an offline reload shows what was on the screen."""
    page = phone()
    page.goto(f"{live_server.url}/e/{SLUG}")
    ready(page)
    page.wait_for_selector("html[data-live=live]")
    title = "Kept as the phone left it"
    card = _propose_and_place(live_server, "kristof@example.org", title)
    page.locator(card).wait_for(timeout=10000)
    assert page.evaluate(KEPT_BOARD_HAS, title) is False  # the copy is the board of the load

    page.evaluate(LEAVE_PAGE)  # the phone goes to another app, or its screen locks
    wait_for(lambda: page.evaluate(KEPT_BOARD_HAS, title), timeout=15)

    page.context.set_offline(True)
    page.reload()
    ours(page)
    assert page.locator("[data-offline-banner]").is_visible()
    assert page.locator(card).inner_text().startswith(title)
    page.context.set_offline(False)


def test_a_form_sent_offline_stays_with_a_note_and_goes_once_online(live_server, phone):
    page = phone()
    log_in(page, live_server.url, "dries@example.org")
    page.goto(f"{live_server.url}/e/{SLUG}/marketplace?propose=1")  # the proposing sheet open
    ready(page)
    page.fill("#propose input[name=title]", "Typed on the stairs")

    page.context.set_offline(True)
    page.locator("#propose button[type=submit]").click()

    note = page.locator("#propose .offline-form-note")
    note.wait_for()
    assert note.inner_text().startswith("You are offline, so this was not sent.")
    assert page.input_value("#propose input[name=title]") == "Typed on the stairs"
    assert page.url == f"{live_server.url}/e/{SLUG}/marketplace?propose=1"

    page.context.set_offline(False)
    note.wait_for(state="detached")
    page.locator("#propose button[type=submit]").click()
    page.wait_for_url("**/t/*")
    assert page.locator("h1").first.inner_text() == "Typed on the stairs"


def test_a_form_whose_link_drops_unnoticed_gets_our_not_sent_page(live_server, phone):
    page = phone()
    log_in(page, live_server.url, "eric@example.org")
    page.goto(f"{live_server.url}/e/{SLUG}/marketplace?propose=1")  # the proposing sheet open
    ready(page)
    page.fill("#propose input[name=title]", "Lost in the lift")
    # The phone still believes it is online (no offline event): the worker's fetch fails.
    page.context.route("**/e/*/topics", lambda route: route.abort("internetdisconnected"))
    page.locator("#propose button[type=submit]").click()
    page.wait_for_load_state()

    ours(page)
    assert page.locator("h1").inner_text() == "You are offline"
    assert page.locator("[data-offline-post-note]").is_visible()


def test_logout_empties_the_kept_pages(live_server, phone):
    page = phone()
    log_in(page, live_server.url, "stephanie@example.org")
    page.goto(f"{live_server.url}/e/{SLUG}")
    ready(page)
    page.goto(f"{live_server.url}/e/{SLUG}/me")
    page.wait_for_load_state()
    mine = page.evaluate("caches.keys()")
    assert f"{live_server.url}/e/{SLUG}/me" in page.evaluate(KEPT_URLS)

    page.locator(".tabbar a[href$='/more']").tap()  # on a phone, logging out is under More
    page.get_by_role("button", name="Log out").click()
    page.get_by_text("You are logged out.").wait_for()  # (after the worker forgot the pages)

    names = page.evaluate("caches.keys()")
    account = [name for name in mine if name.startswith(PAGES) and not name.endswith("anon")]
    assert account and not set(account) & set(names)
    assert f"{live_server.url}/e/{SLUG}/me" not in page.evaluate(KEPT_URLS)


@pytest.fixture
def deployments(tmp_path):
    server = LiveServer(tmp_path, OPENSPACE_BUILD_ID="first")
    server.prepare(("db", "upgrade"), ("demo",))
    server.start()
    yield server
    server.stop()


def test_a_new_deployment_worker_replaces_the_old_one_on_reload(deployments, phone):
    server = deployments
    page = phone()
    page.goto(f"{server.url}/e/{SLUG}")
    ready(page)
    first = page.evaluate(VERSION)
    page.reload()  # the shell's files come from the worker's caches now
    static = [name for name in page.evaluate("caches.keys()")
              if name.startswith("openspace-static-")]
    assert static == [f"openspace-static-{first}"]
    assert page.locator("[data-update-prompt]").is_hidden()

    server.stop()
    server.env["OPENSPACE_BUILD_ID"] = "second"
    server.start()
    page.reload()  # the browser checks /sw.js on navigation: a new one installs and waits

    prompt = page.locator("[data-update-prompt]")
    prompt.wait_for(timeout=15000)
    assert prompt.inner_text().startswith("A new version of openspace is ready.")
    with page.expect_navigation():
        prompt.get_by_role("button", name="Reload").click()
    page.wait_for_load_state()

    page.wait_for_function("() => Boolean(navigator.serviceWorker.controller)")
    second = page.evaluate(VERSION)
    assert second != first
    assert f"openspace-static-{first}" not in page.evaluate("caches.keys()")  # versioned: gone
    assert page.locator("[data-update-prompt]").is_hidden()


# Photos on a weak link -------------------------------------------------------------------------

def _camera_photo(path, orientation: int = 6):
    """A 4000 × 3000 JPEG as a phone held upright writes it: landscape pixels, EXIF says turn."""
    from PIL import Image

    image = Image.new("RGB", (4000, 3000), (200, 60, 40))
    image.paste((30, 90, 200), (0, 0, 4000, 600))  # a blue band along the top of the sensor
    exif = Image.Exif()
    exif[0x0112] = orientation
    image.save(path, "JPEG", quality=90, exif=exif)
    return path


def _stored_photo(page, server):
    import io

    import requests
    from PIL import Image

    href = page.locator("#photos .photo-grid a").first.get_attribute("href")
    return Image.open(io.BytesIO(requests.get(server.url + href, timeout=10).content))


def test_a_photo_is_made_smaller_upright_and_uploaded_with_progress(live_server, phone, topic,
                                                                     tmp_path):
    page = phone()
    log_in(page, live_server.url, "roel@example.org")
    page.goto(f"{live_server.url}/t/{topic['id']}")
    ready(page)

    page.set_input_files("#photo-gallery", str(_camera_photo(tmp_path / "flipchart.jpg")))
    page.fill("#photo-caption", "The flipchart")
    page.get_by_role("button", name="Add photo").click()

    done = page.locator("[data-photo-queue] [data-state=done]")
    done.wait_for(timeout=30000)
    assert done.locator("progress").evaluate("bar => bar.value") == 1
    page.locator("#photos .photo-grid img").first.wait_for(state="attached")
    stored = _stored_photo(page, live_server)
    assert max(stored.size) <= 2000
    assert stored.size[1] > stored.size[0]  # upright: the phone was held in portrait
    assert page.evaluate("window.openspacePhotos.queued()") == []


def test_a_photo_queued_offline_survives_a_reload_and_uploads_when_back(live_server, phone,
                                                                         topic, tmp_path):
    page = phone()
    log_in(page, live_server.url, "roel@example.org")
    page.goto(f"{live_server.url}/t/{topic['id']}")
    ready(page)
    page.reload()  # kept by the worker, so it opens offline too
    page.context.set_offline(True)

    page.set_input_files("#photo-camera", str(_camera_photo(tmp_path / "wall.jpg", 1)))
    page.get_by_role("button", name="Add photo").click()
    waiting = page.locator("[data-photo-queue] [data-state=waiting]")
    waiting.wait_for(timeout=30000)
    assert waiting.inner_text().count("Waiting for the connection") == 1
    assert len(page.evaluate("window.openspacePhotos.queued()")) == 1

    page.reload()  # the page closes: the queue is in IndexedDB
    ours(page)
    page.locator("[data-photo-queue] [data-state=waiting]").wait_for(timeout=30000)
    page.context.set_offline(False)  # the online event sends it

    page.locator("[data-photo-queue] [data-state=done]").wait_for(timeout=30000)
    page.locator("#photos .photo-grid img").first.wait_for(state="attached")
    assert max(_stored_photo(page, live_server).size) == 2000
    assert page.evaluate("window.openspacePhotos.queued()") == []


def test_a_page_loaded_past_the_worker_is_taken_over(live_server, phone):
    """A page the worker did not load (a hard reload; a page that loaded while the worker was
    activating) would stay without it until the next navigation: no offline copy kept, no
    "not sent" page for its forms. The page asks the worker to take it over."""
    page = phone()
    log_in(page, live_server.url, "eric@example.org")
    page.goto(f"{live_server.url}/e/{SLUG}/marketplace")
    ready(page)
    cdp = page.context.new_cdp_session(page)
    cdp.send("Page.reload", {"ignoreCache": True})  # as Shift+Reload: past the worker
    page.wait_for_load_state()

    ready(page)
