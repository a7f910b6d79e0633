"""Room signs and session cards: the print pages, the PDFs (read back with pypdf, their QR
codes decoded from the rendered page with zxing-cpp), and where a scanned code leads."""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlsplit

import pypdf
import pypdfium2
import pytest
import zxingcpp

from openspace.domain import ratelimit
from openspace.extensions import db
from openspace.models import Event, User
from tests.web.conftest import login_as

MM = 72 / 25.4  # PDF points per millimetre


@pytest.fixture
def signs_world(app, world, make_topic, place):
    """Two placed sessions in the Atrium (10:00 and 11:00), none in the Library; the site's
    address is set (OPENSPACE_BASE_URL)."""
    app.config["BASE_URL"] = "https://openspace.example"
    first = make_topic(world.event, world.participant, title="Headless Drupal in practice")
    second = make_topic(world.event, world.organizer, title="Pricing support contracts")
    place(first, world.participant, world.rooms["Atrium"], world.sessions[0])
    place(second, world.organizer, world.rooms["Atrium"], world.sessions[1])
    world.first, world.second = first, second
    return world


def _organizer(client, world):
    login_as(client, world.organizer)
    return client


def _pdf(client, path: str) -> tuple[bytes, pypdf.PdfReader]:
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    return response.data, pypdf.PdfReader(io.BytesIO(response.data))


def _text(page) -> str:
    return re.sub(r"\s+", " ", page.extract_text())


def _qr_codes(data: bytes, index: int) -> list[str]:
    """The QR codes a phone camera reads off the printed page (rendered at 200 dpi)."""
    document = pypdfium2.PdfDocument(data)
    image = document[index].render(scale=200 / 72).to_pil()
    document.close()
    return sorted(result.text for result in zxingcpp.read_barcodes(image)
                  if result.format == zxingcpp.BarcodeFormat.QRCode)


def test_door_signs_pdf_has_one_a4_page_per_room_with_titles_times_and_qr(app, client, signs_world):
    w = signs_world
    data, pdf = _pdf(_organizer(client, w), f"/e/{w.event.slug}/print/signs.pdf?size=a4")
    assert len(pdf.pages) == 2  # Atrium, Library
    width, height = (float(x) / MM for x in pdf.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (210, 297)
    atrium = _text(pdf.pages[0])
    assert "Atrium" in atrium
    assert atrium.index("Headless Drupal in practice") < atrium.index("Pricing support contracts")
    assert "10:00" in atrium and "11:00" in atrium
    assert "Europe/Brussels (CET, UTC+1)" in atrium
    codes = _qr_codes(data, 0)
    assert codes == sorted(f"https://openspace.example/t/{t.id}/notes?code={w.event.join_code}"
                           for t in (w.first, w.second))
    library = _text(pdf.pages[1])
    assert "Library" in library and "No sessions in this room on this day yet." in library
    assert _qr_codes(data, 1) == []


def _size_mm(page) -> tuple[int, int]:
    return tuple(round(float(x) / MM) for x in page.mediabox[2:])


def test_a6_signs_and_cards_are_a6_pages(client, signs_world):
    w = signs_world
    _organizer(client, w)
    _, signs = _pdf(client, f"/e/{w.event.slug}/print/signs.pdf?size=a6")
    _, cards = _pdf(client, f"/e/{w.event.slug}/print/cards.pdf?size=a6")
    assert [_size_mm(p) for p in signs.pages] == [(105, 148)] * 2
    assert [_size_mm(p) for p in cards.pages] == [(105, 148)] * 2


def test_session_cards_show_title_convener_room_time_and_notes_qr(client, signs_world,
                                                                   make_topic):
    w = signs_world
    unplaced = make_topic(w.event, w.participant, title="Open source business models")
    data, pdf = _pdf(_organizer(client, w), f"/e/{w.event.slug}/print/cards.pdf?size=a4")
    assert [_size_mm(p) for p in pdf.pages] == [(210, 297)] * 3
    first, second, third = (_text(p) for p in pdf.pages)
    assert "Headless Drupal in practice" in first and "Convener: Pat" in first
    assert "Atrium" in first and "Monday, 23 November" in first and "10:00" in first
    assert "Pricing support contracts" in second and "Convener: Olga" in second
    assert "Open source business models" in third and "Not on the board yet" in third
    assert _qr_codes(data, 0) == [
        f"https://openspace.example/t/{w.first.id}/notes?code={w.event.join_code}"]
    assert _qr_codes(data, 2) == [
        f"https://openspace.example/t/{unplaced.id}/notes?code={w.event.join_code}"]


def test_one_room_one_card(client, signs_world):
    w = signs_world
    _organizer(client, w)
    _, sign = _pdf(client, f"/e/{w.event.slug}/print/signs.pdf?room={w.rooms['Library']}")
    assert len(sign.pages) == 1 and "Library" in _text(sign.pages[0])
    _, card = _pdf(client, f"/e/{w.event.slug}/print/cards.pdf?topic={w.second.id}")
    assert len(card.pages) == 1 and "Pricing support contracts" in _text(card.pages[0])


def _japanese_event(app, make_event, quick_user, make_topic, place):
    organizer = quick_user("Hanako")
    event = make_event(organizer, name="オープンスペース東京", timezone="Asia/Tokyo",
                       language="ja")
    with app.app_context():
        e = db.session.get(Event, event.id)
        room, slot = e.rooms[0].id, next(s.id for s in e.slots if s.kind == "session")
    topic = make_topic(event, organizer, title="日本語のセッション記録を共有する")
    place(topic, organizer, room, slot)
    return event, organizer, topic


def _fonts(page) -> set[str]:
    fonts = page["/Resources"]["/Font"]
    return {str(fonts[name].get_object()["/BaseFont"]) for name in fonts}


def test_japanese_event_prints_in_japanese_with_a_cjk_font_and_its_own_zone(
        app, client, make_event, quick_user, make_topic, place):
    event, organizer, topic = _japanese_event(app, make_event, quick_user, make_topic, place)
    login_as(client, organizer)
    data, pdf = _pdf(client, f"/e/{event.slug}/print/cards.pdf?size=a6")
    text = _text(pdf.pages[0])
    assert "日本語のセッション記録を共有する" in text.replace(" ", "")
    assert "オープンスペース東京" in text
    assert "呼びかけ人: Hanako" in text  # the card's own words in the event's language
    assert "10時00分～11時00分" in text  # the slot as typed, in Tokyo's time, as ja writes it
    assert "Asia/Tokyo (JST, UTC+9)" in text
    # Real glyphs: the Japanese is set in a CJK font that is embedded (no tofu boxes).
    assert any("Noto-Sans-CJK" in name for name in _fonts(pdf.pages[0])), _fonts(pdf.pages[0])


def test_long_titles_wrap_inside_the_page(app, client, signs_world, make_topic, place):
    w = signs_world
    title = "Wiederverwendbare" * 5 + " and a title that goes on and on about many things here"
    long = make_topic(w.event, w.organizer, title=title[:120])
    place(long, w.organizer, w.rooms["Library"], w.sessions[0])
    _organizer(client, w)
    for size, margin_mm in (("a4", 16), ("a6", 7)):
        for kind, index in (("signs", 1), ("cards", 0)):
            path = f"/e/{w.event.slug}/print/{kind}.pdf?size={size}"
            if kind == "cards":
                path += f"&topic={long.id}"
            data, pdf = _pdf(client, path)
            assert title[:120].replace(" ", "") in _text(pdf.pages[index]).replace(" ", "")
            # Nothing is drawn in the page's outer margin: the title wrapped rather than ran off.
            document = pypdfium2.PdfDocument(data)
            image = document[index].render(scale=100 / 72).to_pil().convert("L")
            document.close()
            edge = round(image.width * (margin_mm - 2) / (210 if size == "a4" else 105))
            strip = image.crop((image.width - edge, 0, image.width, image.height))
            assert strip.getextrema() == (255, 255), (size, kind)


def test_print_page_in_html_for_the_browser(client, signs_world):
    w = signs_world
    response = _organizer(client, w).get(f"/e/{w.event.slug}/print/signs?size=a6")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<body class="print a6 lang-en">' in page
    assert "@page { size: 105mm 148mm; margin: 0; }" in page
    assert page.count('<section class="page sign"') == 2
    assert page.count("<svg") == 2 and "Headless Drupal in practice" in page
    assert f"/e/{w.event.slug}/print/signs.pdf?size=a6&amp;day=2026-11-23" in page
    index = client.get(f"/e/{w.event.slug}/print").get_data(as_text=True)
    assert f'action="/e/{w.event.slug}/print/signs"' in index
    assert 'value="2026-11-23" selected' in index
    room = w.rooms["Library"]
    assert f'href="/e/{w.event.slug}/print/signs?room={room}&amp;day=2026-11-23"' in index


def test_the_topic_page_offers_organizers_its_card(client, signs_world):
    w = signs_world
    card = f'href="/e/{w.event.slug}/print/cards?topic={w.first.id}&amp;size=a6"'
    login_as(client, w.participant)
    assert card not in client.get(f"/t/{w.first.id}").get_data(as_text=True)
    login_as(client, w.organizer)
    assert card in client.get(f"/t/{w.first.id}").get_data(as_text=True)


@pytest.mark.parametrize("query,status", [
    ("size=a3", 400), ("size=", 200), ("day=2026-11-24", 400), ("day=23.11.2026", 400),
    ("room=abc", 400), ("room=999999", 404), ("topic=x", 200),
])
def test_bad_choices_are_refused(client, signs_world, query, status):
    w = signs_world
    response = _organizer(client, w).get(f"/e/{w.event.slug}/print/signs?{query}")
    assert response.status_code == status


def test_bad_topic_for_cards(client, signs_world):
    w = signs_world
    _organizer(client, w)
    assert client.get(f"/e/{w.event.slug}/print/cards?topic=x").status_code == 400
    assert client.get(f"/e/{w.event.slug}/print/cards?topic=999999").status_code == 404


def test_only_organizers_print(client, signs_world):
    w = signs_world
    login_as(client, w.participant)
    for path in ("print", "print/signs", "print/cards.pdf"):
        assert client.get(f"/e/{w.event.slug}/{path}").status_code == 403


def test_pdfs_are_rate_limited_per_user(app, client, signs_world):
    w = signs_world
    _organizer(client, w)
    with app.app_context():
        organizer = db.session.get(User, w.organizer.id)
        for _ in range(ratelimit.LIMITS["print"].burst):
            ratelimit.spend(organizer, "print")
    response = client.get(f"/e/{w.event.slug}/print/signs.pdf")
    assert response.status_code == 429
    # The print page itself (no PDF made) is not limited, nor is another organizer's PDF budget.
    assert client.get(f"/e/{w.event.slug}/print/signs").status_code == 200


# Scanning a printed code ----------------------------------------------------------------------

def _scan(w, topic, code=None):
    return f"/t/{topic.id}/notes?code={code or w.event.join_code}"


def test_a_member_scanning_lands_on_the_notes(client, signs_world):
    w = signs_world
    login_as(client, w.participant)
    response = client.get(_scan(w, w.first))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/t/{w.first.id}#notes"


def test_a_newcomer_joins_on_the_way_to_the_notes(app, client, signs_world, fetch):
    w = signs_world
    response = client.get(_scan(w, w.first))
    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path == f"/e/{w.event.slug}/join"
    assert parse_qs(target.query) == {"code": [w.event.join_code],
                                      "next": [f"/t/{w.first.id}#notes"]}
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="next" value="/t/' in page and "the page you came for" in page
    joined = client.post(f"/e/{w.event.slug}/join", data={
        "join_code": w.event.join_code, "name": "Kim", "next": f"/t/{w.first.id}#notes"})
    assert joined.status_code == 302
    assert joined.headers["Location"] == f"/t/{w.first.id}#notes"
    notes = client.get(f"/t/{w.first.id}").get_data(as_text=True)
    assert 'data-editable="1"' in notes  # a member now: they write in the notes


def test_a_logged_in_outsider_joins_with_one_tap_and_goes_on_to_the_notes(client, signs_world):
    w = signs_world
    login_as(client, w.outsider)
    response = client.get(_scan(w, w.second))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Join as Oscar" in page
    joined = client.post(f"/e/{w.event.slug}/join", data={
        "join_code": w.event.join_code, "next": f"/t/{w.second.id}#notes"})
    assert joined.headers["Location"] == f"/t/{w.second.id}#notes"


def test_an_old_code_still_shows_a_public_events_notes(client, signs_world):
    w = signs_world
    response = client.get(_scan(w, w.first, code="WRONG1"))
    assert response.headers["Location"] == f"/t/{w.first.id}#notes"


def test_a_private_event_stays_hidden_without_its_code(client, app, make_event, quick_user,
                                                       make_topic):
    organizer = quick_user("Olga")
    event = make_event(organizer, visibility="private")
    topic = make_topic(event, organizer, title="Secret plans")
    assert client.get(f"/t/{topic.id}/notes").status_code == 404
    assert client.get(f"/t/{topic.id}/notes?code=WRONG1").status_code == 404
    assert client.get(f"/t/999999/notes?code={event.join_code}").status_code == 404
    with_code = client.get(f"/t/{topic.id}/notes?code={event.join_code}")
    assert urlsplit(with_code.headers["Location"]).path == f"/e/{event.slug}/join"


def test_without_a_base_url_codes_use_the_join_links_address(app, client, signs_world):
    w = signs_world
    app.config["BASE_URL"] = ""
    _organizer(client, w)
    data, _ = _pdf(client, f"/e/{w.event.slug}/print/cards.pdf?topic={w.first.id}")
    projector = client.get(f"/e/{w.event.slug}/projector").get_data(as_text=True)
    join_host = re.search(r'<p class="join-link">(https?://[^/"<]+)/e/', projector)
    [code] = _qr_codes(data, 0)
    assert join_host and code.startswith(join_host.group(1) + f"/t/{w.first.id}/notes?code=")
