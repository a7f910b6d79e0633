"""Languages in a real browser: the switch works without JavaScript at 375 px, keeps the
reader on the same page, and the browser code speaks the new language from its catalog
(also for live updates that arrive afterwards)."""

from __future__ import annotations

import requests

SLUG = "drupal-cxo-brussels"


def _status(page) -> str:
    return page.locator("[data-live-status]").first.inner_text()


def test_switching_language_keeps_the_page_and_live_updates_speak_it(live_server, phone):
    page = phone()
    page.goto(f"{live_server.url}/e/{SLUG}?from=test")
    page.wait_for_function("() => document.documentElement.dataset.live === 'live'")
    assert _status(page) == "Live"

    switch = page.locator("footer.language-switch")
    box = switch.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    page.select_option("#language-select", "fr")
    switch.get_by_role("button").click()
    page.wait_for_load_state()

    assert page.url == f"{live_server.url}/e/{SLUG}?from=test"
    assert page.evaluate("document.documentElement.lang") == "fr"
    assert page.evaluate("window.openspaceCatalog.language") == "fr"
    assert page.locator("nav.subnav a[aria-current=page]").inner_text() == "Tableau"
    page.wait_for_function("() => document.documentElement.dataset.live === 'live'")
    assert _status(page) == "En direct"  # a text of the browser code, from the catalog

    page.locator(".tabbar a[href$='/marketplace']").tap()
    page.wait_for_url(f"{live_server.url}/e/{SLUG}/marketplace")
    page.wait_for_function("() => document.documentElement.dataset.live === 'live'")
    token = live_server.token("roel@example.org")
    topic = live_server.api("POST", f"/events/{SLUG}/topics", token,
                            json={"title": "Proposé en direct"}).json()
    card = page.locator(f"[data-marketplace] [data-topic-id='{topic['id']}']")
    card.wait_for(timeout=10000)
    assert card.locator(".convener").inner_text() == f"par {topic['convener']['name']}"
    assert card.locator(".interest").inner_text() == "0 participe"  # French: 0 is singular


def test_the_catalog_script_is_cached_by_its_hash(live_server):
    page = requests.get(f"{live_server.url}/e/{SLUG}", headers={"Accept-Language": "ja"},
                        timeout=10).text
    start = page.index('<script src="/i18n/ja.js?v=') + len('<script src="')
    url = page[start:page.index('"', start)]
    response = requests.get(live_server.url + url, timeout=10)
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Content-Type"].startswith("text/javascript")
    assert '"Over capacity":"定員オーバー"' in response.text
