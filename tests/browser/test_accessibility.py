"""Accessibility in a real browser (issue 12): axe-core (npm, read from node_modules by the test
and put into the page; the app never serves it) on every page type, as every role, in the light
and the dark theme: no serious or critical violation. At 375 px with touch, every tap target in
the main content and the tab bar is at least 44 x 44 CSS px, and no page scrolls sideways."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.browser.conftest import _missing, settle, watch_network
from tests.browser.pages import ROLES, ids, open_page, pages_for, setup, show_notes_editor
from tests.live import DEMO_PASSWORD, LiveServer

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"viewport": {"width": 375, "height": 812}, "device_scale_factor": 2,
         "is_mobile": True, "has_touch": True}
WIDE = {"viewport": {"width": 1920, "height": 1080}}


RUN_AXE = """async () => {
  const result = await axe.run(document, { resultTypes: ["violations"] });
  return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ` + v.nodes.slice(0, 3).map((n) => n.target.join(" "))
      .join(" | "));
}"""

# Targets: links, buttons, fields and summaries in <main> and the tab bar. A link inside a
# sentence is exempt (WCAG 2.5.8 "inline"); a checkbox or radio counts with its label.
SMALL_TARGETS = """() => {
  const small = [];
  const targets = document.querySelectorAll("main a[href], main button, main summary, "
    + "main input:not([type=hidden]), main select, main textarea, .tabbar a");
  for (const el of targets) {
    const style = getComputedStyle(el);
    let box = el.getBoundingClientRect();
    if (!box.width || !box.height || style.visibility === "hidden") continue;
    if (el.tagName === "A" && style.display === "inline") continue;
    const label = (el.type === "checkbox" || el.type === "radio") && el.labels && el.labels[0];
    if (label) {
      const l = label.getBoundingClientRect();
      const left = Math.min(box.left, l.left), top = Math.min(box.top, l.top);
      box = { width: Math.max(box.right, l.right) - left,
              height: Math.max(box.bottom, l.bottom) - top };
    }
    if (box.width < 43.5 || box.height < 43.5) {
      const name = (el.textContent || el.name || el.id || "").trim().slice(0, 40);
      small.push(`${el.tagName.toLowerCase()}.${el.className} "${name}" `
        + `${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return small;
}"""


# One xdist group per role and theme (tests/conftest.py), each with its own server: all of it
# on one worker took ~9 minutes, the organizer's four tours as one group 2.5.
XDIST_SPLIT_BY = ("role", "theme")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not AXE.exists():
        _missing("axe-core is not installed (npm ci)")
    live = LiveServer(tmp_path_factory.mktemp("a11y"))
    live.smtp = setup(live)
    live.start()
    yield live
    live.stop()
    live.smtp.stop()


def _context(browser, server, role, theme, size):
    """A browser as this role; "dark" is the viewer's choice (the cookie the theme switch sets)
    on a device that prefers light, so the choice itself is what is checked."""
    context = browser.new_context(color_scheme="light", bypass_csp=True, **size)
    page = context.new_page()
    watch_network(page)
    email = ROLES[role]
    if email:
        page.goto(f"{server.url}/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.locator("main form button[type=submit]").last.click()
        page.wait_for_load_state()
        assert "/login" not in page.url, f"{email} could not log in"
    if theme == "dark":
        page.goto(f"{server.url}/")
        page.locator(".theme-switch button[value=dark]").click()
        page.wait_for_load_state()
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    return context, page


def _axe(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE)


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_on_a_phone_passes_axe_with_big_targets_and_no_sideways_scroll(
        browser, server, role, theme):
    values = ids(server.url, server.smtp)
    context, page = _context(browser, server, role, theme, PHONE)
    problems = {}
    try:
        for spec in pages_for(role):
            response = open_page(page, server.url, spec, values)
            assert response.status == 200, (spec.name, response.status)
            show_notes_editor(page)
            found = _axe(page)
            width = page.evaluate("document.scrollingElement.scrollWidth")
            if width > 375:
                found.append(f"scrolls sideways: {width} px wide")
            found += [f"tap target {t}" for t in page.evaluate(SMALL_TARGETS)]
            if found:
                problems[spec.name] = found
    finally:
        context.close()
    assert problems == {}, "\n".join(f"{name}: {found}" for name, found in problems.items())


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_on_a_wide_screen_passes_axe(browser, server, role, theme):
    values = ids(server.url, server.smtp)
    context, page = _context(browser, server, role, theme, WIDE)
    problems = {}
    try:
        for spec in pages_for(role):
            open_page(page, server.url, spec, values)
            show_notes_editor(page)
            found = _axe(page)
            if found:
                problems[spec.name] = found
    finally:
        context.close()
    assert problems == {}, "\n".join(f"{name}: {found}" for name, found in problems.items())


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("size", ["phone", "wide"])
def test_the_board_passes_axe_whatever_slot_runs_now(browser, server, theme, size):
    """Which row the board marks "now" depends on the clock the suite runs at: every kind of
    row (session, plenary, break) is marked current here, so its colours are checked always."""
    context, page = _context(browser, server, "participant", theme,
                             PHONE if size == "phone" else WIDE)
    try:
        page.goto(f"{server.url}/e/drupal-cxo-brussels")
        settle(page)
        marked = page.evaluate("() => { const rows = document.querySelectorAll('.grid tr.slot');"
                               " rows.forEach((row) => row.classList.add('current'));"
                               " return rows.length; }")
        assert marked > 0
        assert _axe(page) == []
    finally:
        context.close()


def test_the_app_never_serves_axe(server):
    import requests

    assert not os.path.exists(Path(__file__).resolve().parents[2] / "static" / "js" / "axe.min.js")
    page = requests.get(f"{server.url}/e/drupal-cxo-brussels", timeout=10).text
    assert "axe" not in page
