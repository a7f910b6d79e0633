"""The board page, proposing, placing into a cell, locking, Now & Next and My agenda."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from openspace.extensions import db
from openspace.models import Topic

from .conftest import login_as

XSS = "<script>alert(1)</script>"
XSS_SHOWN = "&lt;script&gt;alert(1)&lt;/script&gt;"


def board_url(event) -> str:
    return f"/e/{event.slug}"


def cell_url(world, room="Atrium", slot_index=0) -> str:
    return f"/e/{world.event.slug}/cells/{world.rooms[room]}/{world.sessions[slot_index]}"


def grid_rows(page: str) -> list[str]:
    return re.findall(r'<tr class="slot slot-(\w+)"', page)


# The board -------------------------------------------------------------------------------------

def test_board_shows_rooms_slots_and_placed_topics(client, world, make_topic, place, interest):
    topic = make_topic(world.event, world.participant, "Hiring juniors")
    place(topic, world.participant, world.rooms["Library"], world.sessions[1])
    interest(topic, world.organizer)

    response = client.get(board_url(world.event))

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert grid_rows(page) == ["plenary", "session", "session", "break"]
    assert '<td class="span" colspan="2">Plenary</td>' in page
    assert "Atrium" in page and "Library" in page and "20 seats" in page
    card = page[page.index(f'id="t{topic.id}"'):][:600]
    assert "Hiring juniors" in card
    assert "by Pat" in card
    assert "1 coming · 20 seats" in card
    assert "Over capacity" not in card
    assert 'data-room="Library"' in page


def test_board_flags_over_capacity(client, world, make_topic, place, interest, quick_user, join):
    topic = make_topic(world.event, world.participant, "Popular")
    place(topic, world.participant, world.rooms["Atrium"], world.sessions[0])  # 3 seats
    for name in ("A", "B", "C", "D"):
        fan = quick_user(name)
        join(world.event, fan)
        interest(topic, fan)

    page = client.get(board_url(world.event)).get_data(as_text=True)

    card = page[page.index(f'id="t{topic.id}"'):][:600]
    assert "4 coming · 3 seats" in card
    assert "Over capacity" in card
    assert 'class="topic-card over"' in page


def test_board_free_cells_offer_placement_only_to_who_can_change(client, world,
                                                                 set_board_state):
    put = ">Put a topic here</a>"  # the link itself, not the copy kept for live updates
    anonymous = client.get(board_url(world.event)).get_data(as_text=True)
    login_as(client, world.outsider)
    outsider = client.get(board_url(world.event)).get_data(as_text=True)
    login_as(client, world.participant)
    participant = client.get(board_url(world.event)).get_data(as_text=True)
    set_board_state(world.event, world.organizer, "locked")
    participant_locked = client.get(board_url(world.event)).get_data(as_text=True)
    login_as(client, world.organizer)
    organizer_locked = client.get(board_url(world.event)).get_data(as_text=True)

    assert put not in anonymous and put not in outsider and put not in participant_locked
    assert participant.count(put) == 4  # 2 rooms x 2 session slots
    assert organizer_locked.count(put) == 4
    assert f'href="{cell_url(world)}"' in participant


def test_board_escapes_user_html(client, app, world, make_topic, place, quick_user, join):
    villain = quick_user('<img src=x onerror="boom">')
    join(world.event, villain)
    placed = make_topic(world.event, villain, XSS)
    place(placed, villain, world.rooms["Atrium"], world.sessions[0])
    make_topic(world.event, villain, "<b>unplaced</b>", tags="<i>tag</i>")

    page = client.get(board_url(world.event)).get_data(as_text=True)
    market = client.get(f"{board_url(world.event)}/marketplace").get_data(as_text=True)

    assert XSS_SHOWN in page
    assert "<script>alert" not in page + market
    assert "&lt;img src=x onerror=&#34;boom&#34;&gt;" in page
    assert "&lt;b&gt;unplaced&lt;/b&gt;" in market
    assert "<b>unplaced" not in page + market and "<i>tag" not in page + market


def test_private_board_is_404_for_non_members_and_open_to_members(client, make_event, world):
    event = make_event(world.organizer, name="Retreat", visibility="private")

    anonymous = client.get(board_url(event))
    login_as(client, world.outsider)
    outsider = client.get(board_url(event))
    login_as(client, world.organizer)
    organizer = client.get(board_url(event))

    assert (anonymous.status_code, outsider.status_code, organizer.status_code) == (404, 404, 200)


def test_board_without_rooms_tells_organizers_where_to_add_them(client, app, world):
    login_as(client, world.organizer)
    client.post("/events/new", data={"name": "Empty", "slug": "empty", "timezone": "UTC",
                                     "starts_on": "2027-01-01"})

    page = client.get("/e/empty").get_data(as_text=True)

    assert "The agenda wall is not set up yet" in page
    assert 'href="/e/empty/settings#rooms"' in page


# Proposing -------------------------------------------------------------------------------------

def test_propose_puts_topic_on_the_marketplace(client, app, world):
    login_as(client, world.participant)

    response = client.post(f"/e/{world.event.slug}/topics", data={
        "title": "Pricing retainers", "description": "How do you price them?",
        "tags": "pricing, Sales"})

    with app.app_context():
        topic = db.session.scalar(sa.select(Topic).where(Topic.title == "Pricing retainers"))
        assert (topic.convener_id, topic.tags, topic.room_id) == (
            world.participant.id, ["pricing", "sales"], None)
    assert response.status_code == 302
    assert response.location == f"/t/{topic.id}"
    page = client.get(f"{board_url(world.event)}/marketplace").get_data(as_text=True)
    waiting = page[page.index('id="unplaced-title"'):page.index('id="placed-title"')]
    assert "Pricing retainers" in waiting
    assert 'href="/e/drupal-cxo/marketplace?tag=pricing">#pricing</a>' in waiting


def test_propose_bad_input_keeps_typed_values(client, world):
    login_as(client, world.participant)

    response = client.post(f"/e/{world.event.slug}/topics", data={
        "title": "", "description": "A long thought I typed on my phone", "tags": "a, b"})

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Title: is required" in page
    assert "A long thought I typed on my phone</textarea>" in page
    assert 'value="a, b"' in page


def test_propose_on_locked_board_is_refused_with_message_and_kept_text(client, app, world,
                                                                       set_board_state):
    set_board_state(world.event, world.organizer, "locked")
    login_as(client, world.participant)

    response = client.post(f"/e/{world.event.slug}/topics", data={
        "title": "Late idea", "description": "Typed while it locked"})

    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "The board is locked: only organizers can change it now." in page
    assert 'value="Late idea"' in page
    assert "Typed while it locked</textarea>" in page
    with app.app_context():
        assert db.session.scalar(sa.select(Topic.id).where(Topic.title == "Late idea")) is None


def test_propose_by_non_member_is_forbidden(client, world):
    login_as(client, world.outsider)

    response = client.post(f"/e/{world.event.slug}/topics", data={"title": "Drive-by"})

    assert response.status_code == 403
    assert "Join the event first." in response.get_data(as_text=True)


def test_propose_anonymous_is_sent_to_login(client, world):
    response = client.post(f"/e/{world.event.slug}/topics", data={"title": "Anon"})

    assert response.status_code == 302
    assert response.location.startswith("/login")


def test_propose_form_has_domain_maxlengths(client, world):
    login_as(client, world.participant)

    page = client.get(f"{board_url(world.event)}/marketplace").get_data(as_text=True)

    assert re.search(r'<input[^>]*id="title"[^>]*maxlength="120"', page)
    assert re.search(r'<textarea[^>]*id="description"[^>]*maxlength="5000"', page)


# Lock / unlock ---------------------------------------------------------------------------------

def test_organizer_locks_and_unlocks_the_board(client, world, fetch):
    from openspace.models import Event

    login_as(client, world.organizer)
    url = f"/e/{world.event.slug}/state"

    locked = client.post(url, data={"state": "locked"}, follow_redirects=True)
    state_after_lock = fetch(Event, world.event.id).board_state
    client.post(url, data={"state": "open"})

    assert state_after_lock == "locked"
    assert "The board is locked." in locked.get_data(as_text=True)
    assert "Unlock the board" in locked.get_data(as_text=True)
    assert fetch(Event, world.event.id).board_state == "open"


def test_participant_cannot_lock_the_board(client, world, fetch):
    from openspace.models import Event

    login_as(client, world.participant)

    response = client.post(f"/e/{world.event.slug}/state", data={"state": "locked"})

    assert response.status_code == 403
    assert fetch(Event, world.event.id).board_state == "open"
    assert "Lock the board" not in client.get(board_url(world.event)).get_data(as_text=True)


# Put a topic here ------------------------------------------------------------------------------

def test_cell_page_lists_own_unplaced_topics_and_organizers_see_all(client, world, make_topic):
    make_topic(world.event, world.participant, "Pat's topic")
    make_topic(world.event, world.organizer, "Olga's topic")

    login_as(client, world.participant)
    as_participant = client.get(cell_url(world)).get_data(as_text=True)
    login_as(client, world.organizer)
    as_organizer = client.get(cell_url(world)).get_data(as_text=True)

    assert "Atrium" in as_participant
    assert "Pat&#39;s topic" in as_participant and "Olga&#39;s topic" not in as_participant
    assert "Pat&#39;s topic" in as_organizer and "Olga&#39;s topic" in as_organizer


def test_cell_page_one_tap_places_the_topic(client, world, make_topic, fetch):
    topic = make_topic(world.event, world.participant, "Pat's topic")
    login_as(client, world.participant)

    response = client.post(cell_url(world, "Library", 1), data={"topic_id": topic.id})

    placed = fetch(Topic, topic.id)
    assert response.status_code == 302
    assert (placed.room_id, placed.slot_id) == (world.rooms["Library"], world.sessions[1])
    assert response.location == f"/e/{world.event.slug}#t{topic.id}"


def test_cell_page_taken_cell_explains_who_holds_it(client, world, make_topic, place, fetch):
    holder = make_topic(world.event, world.organizer, "First come")
    place(holder, world.organizer, world.rooms["Atrium"], world.sessions[0])
    late = make_topic(world.event, world.participant, "Too late")
    login_as(client, world.participant)

    page = client.get(cell_url(world)).get_data(as_text=True)
    response = client.post(cell_url(world), data={"topic_id": late.id})

    assert "This cell is taken by" in page and "First come" in page
    assert response.status_code == 409
    assert ", by \u201cFirst come\u201d." in response.get_data(as_text=True)
    assert fetch(Topic, late.id).room_id is None


def test_cell_page_on_locked_board_is_refused_for_participants(client, world, make_topic,
                                                                set_board_state):
    topic = make_topic(world.event, world.participant)
    set_board_state(world.event, world.organizer, "locked")
    login_as(client, world.participant)

    page = client.get(cell_url(world))
    tap = client.post(cell_url(world), data={"topic_id": topic.id})

    assert (page.status_code, tap.status_code) == (403, 403)
    assert "The board is locked" in tap.get_data(as_text=True)


def test_cell_page_needs_login(client, world):
    response = client.get(cell_url(world))

    assert response.status_code == 302
    assert response.location.startswith("/login")


# Now & Next ------------------------------------------------------------------------------------

def test_now_and_next_shows_running_and_next_sessions_escaped(client, world, make_topic, place,
                                                              quick_user, join):
    villain = quick_user("<em>Villain</em>")
    join(world.event, villain)
    now_topic = make_topic(world.event, villain, XSS)
    place(now_topic, villain, world.rooms["Atrium"], world.sessions[0])
    next_topic = make_topic(world.event, world.participant, "After <coffee>")
    place(next_topic, world.participant, world.rooms["Library"], world.sessions[1])

    response = client.get(f"/e/{world.event.slug}/now?at=2026-11-23T10:30")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "10:30" in page
    atrium = page[page.index("<h2>Atrium</h2>"):page.index("<h2>Library</h2>")]
    library = page[page.index("<h2>Library</h2>"):]
    assert XSS_SHOWN in atrium and "&lt;em&gt;Villain&lt;/em&gt;" in atrium
    assert "After &lt;coffee&gt;" in library
    assert "<script>alert" not in page


def test_now_and_next_uses_the_event_clock_and_is_live(client, quick_user, make_event,
                                                         make_topic, place, app):
    tomorrow = (datetime.now(ZoneInfo("Europe/Brussels")) + timedelta(days=1)).date()
    organizer = quick_user("Olga")
    event = make_event(organizer, starts_on=tomorrow.isoformat())
    topic = make_topic(event, organizer, "Tomorrow's opener")
    with app.app_context():
        from openspace.models import Room, Slot

        room = db.session.scalar(sa.select(Room.id).where(Room.event_id == event.id))
        slot = db.session.scalar(sa.select(Slot.id).where(
            Slot.event_id == event.id, Slot.kind == "session").order_by(Slot.starts_at))
    place(topic, organizer, room, slot)

    page = client.get(f"/e/{event.slug}/now").get_data(as_text=True)

    assert 'http-equiv="refresh"' not in page  # live over the socket instead (issue 12.13)
    assert '/static/js/live.js' in page and f'data-slug="{event.slug}"' in page
    # Refetched when the first slot of tomorrow starts (the plenary at 09:00).
    assert f'data-changes-at="{tomorrow.isoformat()}T09:00"' in page
    assert "no session running" in page
    assert "Tomorrow&#39;s opener" in page
    assert "Europe/Brussels" in page


def test_plenary_shows_as_a_banner_on_now_and_next(client, world):
    page = client.get(f"/e/{world.event.slug}/now?at=2026-11-23T09:15").get_data(as_text=True)

    assert '<p class="now-banner">' in page
    assert "Plenary" in page


# My agenda -------------------------------------------------------------------------------------

def test_my_agenda_lists_convened_and_attended_in_time_order(client, world, make_topic, place,
                                                             interest):
    later = make_topic(world.event, world.participant, "Mine <later>")
    place(later, world.participant, world.rooms["Atrium"], world.sessions[1])
    earlier = make_topic(world.event, world.organizer, "Olga's <early> one")
    place(earlier, world.organizer, world.rooms["Library"], world.sessions[0])
    interest(earlier, world.participant)
    unplaced = make_topic(world.event, world.participant, "Still waiting")
    make_topic(world.event, world.organizer, "Not mine")
    login_as(client, world.participant)

    response = client.get(f"/e/{world.event.slug}/me")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    order = [page.index(t) for t in ("Olga&#39;s &lt;early&gt; one", "Mine &lt;later&gt;",
                                     "Still waiting")]
    assert order == sorted(order)
    assert "Not mine" not in page
    assert "You convene" in page and "You'll come" in page
    assert unplaced.title in page


def test_my_agenda_flags_a_clash(client, world, make_topic, place, interest):
    mine = make_topic(world.event, world.participant, "Mine")
    place(mine, world.participant, world.rooms["Atrium"], world.sessions[0])
    theirs = make_topic(world.event, world.organizer, "Theirs")
    place(theirs, world.organizer, world.rooms["Library"], world.sessions[0])
    interest(theirs, world.participant)
    login_as(client, world.participant)

    page = client.get(f"/e/{world.event.slug}/me").get_data(as_text=True)

    assert page.count('<strong class="flag">Clash</strong>') == 2


def test_my_agenda_needs_login(client, world):
    response = client.get(f"/e/{world.event.slug}/me")

    assert response.status_code == 302
    assert response.location.startswith("/login")


# Phones ----------------------------------------------------------------------------------------

def test_stylesheet_turns_the_grid_into_per_slot_cards_on_phones(client, world):
    with client.get("/static/css/app.css") as response:
        css = response.get_data(as_text=True)
    page = client.get(board_url(world.event)).get_data(as_text=True)

    phone = css[css.index("@media (max-width: 40rem)"):]
    phone = phone[:phone.index("\n}\n")]
    assert ".grid tr, .grid th, .grid td { display: block" in phone
    assert "content: attr(data-room)" in phone
    assert Path("static/css/app.css").read_text().count("http") == 0  # no CDN, no web fonts
    assert 'name="viewport" content="width=device-width, initial-scale=1' in page


def test_board_times_carry_the_events_zone(client, make_user, make_event):
    event = make_event(make_user(), timezone="Asia/Tokyo")
    page = client.get(f"/e/{event.slug}").get_data(as_text=True)
    assert '<th scope="col" class="time">Time (JST)</th>' in page
