"""The app's shell (issue 12): the theme switch, the marketplace page, the More page, tags as
chips that filter, and the icon sprite every template draws from."""

from __future__ import annotations

import re
from pathlib import Path

from .conftest import login_as

ROOT = Path(__file__).resolve().parents[2]


def market(event, **args) -> str:
    query = "&".join(f"{k}={v}" for k, v in args.items())
    return f"/e/{event.slug}/marketplace" + (f"?{query}" if query else "")


def titles(page: str, section: str) -> list[str]:
    start = page.index(f'id="{section}"')
    end = page.index("</section>", start)
    return re.findall(r'class="topic-title" href="/t/\d+">([^<]+)</a>', page[start:end])


# The theme -------------------------------------------------------------------------------------

def test_theme_choice_is_rendered_into_the_first_byte_of_every_page(client, world):
    chosen = client.post("/theme", data={"theme": "dark", "next": f"/e/{world.event.slug}"})
    page = client.get(f"/e/{world.event.slug}").get_data(as_text=True)

    assert (chosen.status_code, chosen.location) == (303, f"/e/{world.event.slug}")
    assert "openspace_theme=dark" in chosen.headers["Set-Cookie"]
    assert "HttpOnly" in chosen.headers["Set-Cookie"]
    assert '<html lang="en" dir="ltr" data-theme="dark">' in page
    assert '<meta name="color-scheme" content="dark">' in page
    assert 'value="dark" aria-pressed="true"' in page


def test_automatic_theme_forgets_the_choice_and_follows_the_device(client, world):
    client.post("/theme", data={"theme": "light"})
    forgotten = client.post("/theme", data={"theme": "", "next": "/"})
    page = client.get("/").get_data(as_text=True)

    assert "openspace_theme=;" in forgotten.headers["Set-Cookie"]
    assert "data-theme" not in page.split("<head>")[0]
    assert '<meta name="color-scheme" content="light dark">' in page


def test_unknown_theme_is_refused_with_a_clear_error(client):
    response = client.post("/theme", data={"theme": "neon"})

    assert response.status_code == 400
    assert "That theme is not offered here." in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers or "openspace_theme" not in response.headers[
        "Set-Cookie"]


def test_theme_switch_goes_back_only_to_this_site(client):
    response = client.post("/theme", data={"theme": "dark", "next": "//evil.example/"})

    assert response.location == "/"


def test_stylesheets_have_a_dark_theme_for_the_device_and_for_the_choice():
    tokens = (ROOT / "static/css/tokens.css").read_text()

    assert "@media (prefers-color-scheme: dark)" in tokens
    assert ':root:not([data-theme="light"])' in tokens
    assert ':root[data-theme="dark"]' in tokens


def test_stylesheets_use_logical_properties_only():
    physical = re.compile(r"(?<![-\w])(margin|padding|border)-(left|right)\b|"
                          r"(?<![-\w])(left|right)\s*:|text-align:\s*(left|right)")
    for name in ("tokens.css", "app.css", "projector.css", "summary.css", "print.css"):
        css = (ROOT / "static/css" / name).read_text()
        css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
        assert physical.findall(css) == [], name


# The marketplace -------------------------------------------------------------------------------

def test_marketplace_lists_topics_not_placed_yet_first(client, world, make_topic, place):
    placed = make_topic(world.event, world.participant, "Placed already", tags="tools")
    place(placed, world.participant, world.rooms["Library"], world.sessions[0])
    make_topic(world.event, world.participant, "Waiting one")
    make_topic(world.event, world.organizer, "Waiting two", tags="tools, hiring")

    page = client.get(market(world.event)).get_data(as_text=True)

    assert page.index('id="unplaced-title"') < page.index('id="placed-title"')
    assert titles(page, "unplaced-title") == ["Waiting one", "Waiting two"]
    assert titles(page, "placed-title") == ["Placed already"]
    assert "Library" in page[page.index('id="placed-title"'):]


def test_tag_chip_filters_the_marketplace(client, world, make_topic):
    make_topic(world.event, world.participant, "Hiring juniors", tags="hiring")
    make_topic(world.event, world.participant, "Pricing", tags="sales, pricing")

    page = client.get(market(world.event, tag="hiring")).get_data(as_text=True)

    assert titles(page, "unplaced-title") == ["Hiring juniors"]
    assert f'href="/e/{world.event.slug}/marketplace?tag=hiring" aria-current="true"' in page
    assert "1 topic matches." in page
    # Every tag of the event stays offered, with its count.
    assert re.search(r'tag=pricing">#pricing <span class="chip-count">1</span>', page)


def test_search_finds_words_in_title_description_tags_and_convener(client, world, make_topic):
    make_topic(world.event, world.participant, "Hiring juniors", description="Apprentices")
    make_topic(world.event, world.organizer, "Pricing retainers", tags="sales")

    def found(q):
        return titles(client.get(market(world.event, q=q)).get_data(as_text=True),
                      "unplaced-title")

    assert found("apprent") == ["Hiring juniors"]
    assert found("SALES") == ["Pricing retainers"]
    assert found(world.organizer.name) == ["Pricing retainers"]
    assert found("pricing retainers") == ["Pricing retainers"]
    assert found("nothing like it") == []


def test_an_unusable_filter_is_no_filter(client, world, make_topic):
    make_topic(world.event, world.participant, "Hiring juniors")

    page = client.get(market(world.event, tag="x" * 500, q="a%00b")).get_data(as_text=True)

    assert titles(page, "unplaced-title") == ["Hiring juniors"]


def test_propose_sheet_opens_when_asked_and_after_an_error(client, world, make_topic):
    make_topic(world.event, world.participant, "Something to list")
    login_as(client, world.participant)

    closed = client.get(market(world.event)).get_data(as_text=True)
    asked = client.get(market(world.event, propose=1)).get_data(as_text=True)
    refused = client.post(f"/e/{world.event.slug}/topics", data={"title": ""})

    assert '<details class="sheet propose" id="propose">' in closed
    assert '<details class="sheet propose" id="propose" open>' in asked
    assert '<details class="sheet propose" id="propose" open>' in refused.get_data(as_text=True)


def test_board_links_to_proposing_on_the_marketplace(client, world):
    login_as(client, world.participant)

    page = client.get(f"/e/{world.event.slug}").get_data(as_text=True)

    assert f'href="/e/{world.event.slug}/marketplace?propose=1#propose"' in page


def test_board_cards_show_tags_as_chips_that_filter(client, world, make_topic, place):
    topic = make_topic(world.event, world.participant, "Tagged", tags="Hiring, #km")
    place(topic, world.participant, world.rooms["Atrium"], world.sessions[0])

    page = client.get(f"/e/{world.event.slug}").get_data(as_text=True)

    card = page[page.index(f'id="t{topic.id}"'):page.index("</article>", page.index(
        f'id="t{topic.id}"'))]
    assert re.findall(r'<a class="chip tag" href="([^"]+)">#(\w+)</a>', card) == [
        (f"/e/{world.event.slug}/marketplace?tag=hiring", "hiring"),
        (f"/e/{world.event.slug}/marketplace?tag=km", "km")]


# Navigation ------------------------------------------------------------------------------------

def test_tab_bar_has_five_places_and_marks_the_current_one(client, world):
    login_as(client, world.participant)

    page = client.get(market(world.event)).get_data(as_text=True)

    tabbar = page[page.index('<nav class="tabbar"'):page.index("</nav>", page.index(
        '<nav class="tabbar"'))]
    slug = world.event.slug
    assert re.findall(r'<a href="([^"]+)"', tabbar) == [
        f"/e/{slug}", f"/e/{slug}/marketplace", f"/e/{slug}/now", f"/e/{slug}/me",
        f"/e/{slug}/more"]
    assert re.findall(r'<a href="([^"]+)" aria-current="page"', tabbar) == [
        f"/e/{slug}/marketplace"]


def test_more_page_has_organizer_tools_only_for_organizers(client, world):
    login_as(client, world.participant)
    participant = client.get(f"/e/{world.event.slug}/more").get_data(as_text=True)
    login_as(client, world.organizer)
    organizer = client.get(f"/e/{world.event.slug}/more").get_data(as_text=True)

    assert "Organizer tools" not in participant
    assert f'href="/e/{world.event.slug}/settings"' not in participant
    assert "Organizer tools" in organizer
    assert f'href="/e/{world.event.slug}/settings"' in organizer
    assert 'aria-current="page"' in organizer[organizer.index('<nav class="tabbar"'):]


# Icons -----------------------------------------------------------------------------------------

def test_every_icon_the_templates_draw_is_in_the_sprite(client):
    sprite = client.get("/static/icons.svg")
    symbols = set(re.findall(r'<symbol id="([\w-]+)"', sprite.get_data(as_text=True)))
    sprite.close()
    used = set()
    for template in (ROOT / "templates").rglob("*.html"):
        used |= set(re.findall(r'icon\("([\w-]+)"', template.read_text()))

    assert sprite.status_code == 200
    assert used and used <= symbols, sorted(used - symbols)
