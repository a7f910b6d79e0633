"""Printed signs and cards in a real browser (Debian's chromium) on a real `openspace serve`:
the organizer's phone reaches the print page; chromium prints it one sign per sheet at the
chosen paper size, as the server's PDF does; and a newcomer's phone that scans a session's QR
code (decoded from the server's PDF as a camera reads it) joins with just a name and lands in
that session's notes, ready to write.

OPENSPACE_SCREENSHOTS=<folder> keeps screenshots of the pages there (design review).
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pypdf
import pypdfium2
import pytest
import zxingcpp

from openspace import netaddrs
from tests.browser.conftest import browser, log_in, phone  # noqa: F401 - Playwright fixtures
from tests.live import LiveServer

pytestmark = pytest.mark.slow

SLUG = "drupal-cxo-brussels"
ORGANIZER = "kristof@example.org"
MM = 72 / 25.4


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    # Every interface, as for phones: the printed codes name this machine's network address
    # (the join link's rule: the organizer's page is open at 127.0.0.1).
    server = LiveServer(tmp_path_factory.mktemp("print"), host="0.0.0.0")
    server.prepare(("db", "upgrade"), ("demo",))
    server.start()
    yield server
    server.stop()


def _shot(page, name: str) -> None:
    folder = os.environ.get("OPENSPACE_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _sizes(data: bytes) -> list[tuple[int, int]]:
    return [tuple(round(float(x) / MM) for x in p.mediabox[2:])
            for p in pypdf.PdfReader(io.BytesIO(data)).pages]


def test_the_organizer_prints_door_signs_from_a_phone(server, browser, phone):  # noqa: F811
    page = phone()
    log_in(page, server.url, ORGANIZER)
    page.goto(f"{server.url}/e/{SLUG}/print")
    _shot(page, "print-options-375")
    page.get_by_role("radio", name="A6").first.check()
    page.get_by_role("button", name="Show to print").first.tap()
    page.wait_for_url(re.compile(r"/print/signs\?"))
    assert "size=a6" in page.url
    _shot(page, "print-signs-a6-375")
    rooms = page.locator("section.page.sign").count()
    assert rooms == 4  # the demo's rooms, each its own sign

    # Chromium's own print of that page: one sheet per room, at A6.
    desk = browser.new_context(viewport={"width": 1920, "height": 1080})
    try:
        printer = desk.new_page()
        log_in(printer, server.url, ORGANIZER)
        for size, mm in (("a4", (210, 297)), ("a6", (105, 148))):
            printer.goto(f"{server.url}/e/{SLUG}/print/signs?size={size}")
            printed = printer.pdf(prefer_css_page_size=True, print_background=True)
            assert _sizes(printed) == [mm] * rooms, size
    finally:
        desk.close()


def test_a_newcomer_scans_a_card_and_writes_in_the_notes(server, browser, phone):  # noqa: F811
    organizer = phone()
    log_in(organizer, server.url, ORGANIZER)
    response = organizer.request.get(f"{server.url}/e/{SLUG}/print/cards.pdf?size=a6")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    document = pypdfium2.PdfDocument(response.body())
    image = document[0].render(scale=300 / 72).to_pil()
    document.close()
    [code] = [r.text for r in zxingcpp.read_barcodes(image)]
    address = netaddrs.lan_addresses()[0].ip
    assert re.fullmatch(rf"http://{re.escape(address)}:{server.port}/t/\d+/notes\?code=\w+", code)

    newcomer = phone()
    newcomer.goto(code)
    assert "/join?" in newcomer.url
    _shot(newcomer, "scan-join-375")
    newcomer.fill("input[name=name]", "Sam")
    newcomer.locator("main form button[type=submit]").first.tap()
    newcomer.wait_for_url(re.compile(r"/t/\d+#notes$"))
    notes = newcomer.locator("[data-note]")
    assert notes.get_attribute("data-editable") == "1"
    newcomer.locator("[data-note-editor] .cm-content").wait_for()
    _shot(newcomer, "scan-notes-375")
