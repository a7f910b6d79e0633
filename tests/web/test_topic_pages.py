"""The topic page: details, I'll come, edit, place/move/release, withdraw, swap and merge."""

from __future__ import annotations

import re

import pytest

from openspace.extensions import db
from openspace.models import Topic

from .conftest import login_as

XSS = "<script>alert(1)</script>"
XSS_SHOWN = "&lt;script&gt;alert(1)&lt;/script&gt;"


def url(topic, action: str = "") -> str:
    return f"/t/{topic.id}" + (f"/{action}" if action else "")


def cell(world, room="Atrium", slot_index=0) -> str:
    return f"{world.rooms[room]}:{world.sessions[slot_index]}"


# Showing ---------------------------------------------------------------------------------------

def test_topic_page_shows_details_where_and_when(client, world, make_topic, place, interest):
    topic = make_topic(world.event, world.participant, "Hiring juniors",
                       description="Line one\nLine two", tags=["hiring", "people"])
    place(topic, world.participant, world.rooms["Library"], world.sessions[1])
    interest(topic, world.organizer)

    response = client.get(url(topic))

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<h1 id="topic-title">Hiring juniors</h1>' in page
    assert "Line one\nLine two" in page
    assert "#hiring" in page and "#people" in page
    assert "<dd>Pat</dd>" in page
    assert re.search(r'<strong class="topic-room">Library</strong>\s*<span>Monday, 23 November, ',
                     page)
    assert "11:00" in page
    assert "1 coming · 20 seats" in page


def test_topic_page_escapes_user_html(client, world, make_topic, quick_user, join):
    villain = quick_user("<b>Bold</b>")
    join(world.event, villain)
    topic = make_topic(world.event, villain, XSS, description='<img src=x onerror="boom">')

    page = client.get(url(topic)).get_data(as_text=True)

    assert XSS_SHOWN in page
    assert "&lt;img src=x onerror=&#34;boom&#34;&gt;" in page
    assert "&lt;b&gt;Bold&lt;/b&gt;" in page
    assert "<script>alert" not in page and "<img src=x" not in page


def test_topic_of_private_event_is_404_for_non_members(client, make_event, world, make_topic):
    event = make_event(world.organizer, name="Retreat", visibility="private")
    topic = make_topic(event, world.organizer, "Secret")
    login_as(client, world.outsider)

    assert client.get(url(topic)).status_code == 404
    assert client.post(url(topic, "interest"), data={"interested": "1"}).status_code == 404


# Interest --------------------------------------------------------------------------------------

def test_ill_come_and_not_coming_toggle_interest(client, world, make_topic, fetch):
    topic = make_topic(world.event, world.organizer, "Pricing")
    login_as(client, world.participant)

    coming = client.post(url(topic, "interest"), data={"interested": "1"})
    page_coming = client.get(url(topic)).get_data(as_text=True)
    client.post(url(topic, "interest"), data={"interested": "0"})
    page_not = client.get(url(topic)).get_data(as_text=True)

    assert coming.status_code == 302
    assert "1 coming" in page_coming and "Not coming</button>" in page_coming
    assert "0 coming" in page_not and "I\u2019ll come</button>" in page_not


def test_interest_returns_to_a_safe_next_only(client, world, make_topic):
    topic = make_topic(world.event, world.organizer)
    login_as(client, world.participant)

    inside = client.post(url(topic, "interest"), data={"interested": "1", "next": "/e/x#t1"})
    outside = client.post(url(topic, "interest"), data={"interested": "1",
                                                         "next": "https://evil.example/"})

    assert inside.location == "/e/x#t1"
    assert outside.location == url(topic)


def test_interest_by_non_member_is_forbidden(client, world, make_topic):
    topic = make_topic(world.event, world.organizer)
    login_as(client, world.outsider)

    response = client.post(url(topic, "interest"), data={"interested": "1"})

    assert response.status_code == 403
    assert "Join the event first." in response.get_data(as_text=True)


def test_interest_anonymous_goes_to_login(client, world, make_topic):
    topic = make_topic(world.event, world.organizer)

    response = client.post(url(topic, "interest"), data={"interested": "1"})

    assert response.status_code == 302
    assert response.location.startswith("/login")


# Editing ---------------------------------------------------------------------------------------

def test_convener_edits_topic(client, world, make_topic, fetch):
    topic = make_topic(world.event, world.participant, "Old title", tags=["old"])
    login_as(client, world.participant)

    form = client.get(url(topic, "edit")).get_data(as_text=True)
    response = client.post(url(topic, "edit"), data={
        "title": "New title", "description": "Now with words", "tags": "new, shiny"})

    saved = fetch(Topic, topic.id)
    assert 'value="Old title"' in form and 'value="old"' in form
    assert response.status_code == 302
    assert (saved.title, saved.description, saved.tags) == ("New title", "Now with words",
                                                            ["new", "shiny"])


def test_edit_topic_bad_input_keeps_typed_values(client, world, make_topic, fetch):
    topic = make_topic(world.event, world.participant, "Keep me")
    login_as(client, world.participant)

    response = client.post(url(topic, "edit"), data={
        "title": "x" * 121, "description": "My careful description", "tags": ""})

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Title: must be at most 120 characters" in page
    assert "My careful description</textarea>" in page
    assert fetch(Topic, topic.id).title == "Keep me"


def test_other_participant_cannot_edit(client, world, make_topic, quick_user, join):
    topic = make_topic(world.event, world.participant)
    other = quick_user("Other")
    join(world.event, other)
    login_as(client, other)

    assert client.get(url(topic, "edit")).status_code == 403
    assert client.post(url(topic, "edit"), data={"title": "Mine now"}).status_code == 403
    assert "Edit</a>" not in client.get(url(topic)).get_data(as_text=True)


# Placing ---------------------------------------------------------------------------------------

def test_convener_places_moves_and_releases_via_free_cells(client, world, make_topic, fetch):
    topic = make_topic(world.event, world.participant)
    login_as(client, world.participant)

    page = client.get(url(topic)).get_data(as_text=True)
    buttons = re.findall(r'name="cell" value="(\d+:\d+)"', page)
    placed = client.post(url(topic, "place"), data={"cell": cell(world, "Atrium", 0)})
    after_place = fetch(Topic, topic.id)
    moved = client.post(url(topic, "place"), data={"cell": cell(world, "Library", 1)})
    after_move = fetch(Topic, topic.id)
    released = client.post(url(topic, "release"))

    assert sorted(buttons) == sorted(cell(world, r, i) for r in ("Atrium", "Library")
                                     for i in (0, 1))
    assert [placed.status_code, moved.status_code, released.status_code] == [302, 302, 302]
    assert (after_place.room_id, after_place.slot_id) == (world.rooms["Atrium"],
                                                         world.sessions[0])
    assert (after_move.room_id, after_move.slot_id) == (world.rooms["Library"],
                                                       world.sessions[1])
    assert fetch(Topic, topic.id).room_id is None


def test_placed_topic_lists_only_the_other_free_cells(client, world, make_topic, place):
    topic = make_topic(world.event, world.participant)
    place(topic, world.participant, world.rooms["Atrium"], world.sessions[0])
    login_as(client, world.participant)

    page = client.get(url(topic)).get_data(as_text=True)

    buttons = re.findall(r'name="cell" value="(\d+:\d+)"', page)
    assert cell(world, "Atrium", 0) not in buttons
    assert len(buttons) == 3
    assert "Take off the board" in page


def test_place_into_taken_cell_explains_the_conflict(client, world, make_topic, place, fetch):
    holder = make_topic(world.event, world.organizer, "Holder")
    place(holder, world.organizer, world.rooms["Atrium"], world.sessions[0])
    topic = make_topic(world.event, world.participant, "Latecomer")
    login_as(client, world.participant)

    response = client.post(url(topic, "place"), data={"cell": cell(world, "Atrium", 0)})

    assert response.status_code == 409
    body = response.get_data(as_text=True)
    assert "Atrium is already taken at Mon 10:00, by \u201cHolder\u201d." in body
    assert fetch(Topic, topic.id).room_id is None


def test_place_on_locked_board_is_refused_for_participants(client, world, make_topic,
                                                           set_board_state, fetch):
    topic = make_topic(world.event, world.participant)
    set_board_state(world.event, world.organizer, "locked")
    login_as(client, world.participant)

    response = client.post(url(topic, "place"), data={"cell": cell(world)})

    assert response.status_code == 403
    assert "The board is locked: only organizers can change it now." in response.get_data(
        as_text=True)
    assert fetch(Topic, topic.id).room_id is None
    assert 'name="cell"' not in client.get(url(topic)).get_data(as_text=True)


def test_organizer_places_any_topic_on_a_locked_board(client, world, make_topic,
                                                      set_board_state, fetch):
    topic = make_topic(world.event, world.participant)
    set_board_state(world.event, world.organizer, "locked")
    login_as(client, world.organizer)

    response = client.post(url(topic, "place"), data={"cell": cell(world)})

    assert response.status_code == 302
    assert fetch(Topic, topic.id).room_id == world.rooms["Atrium"]


# Withdrawing -----------------------------------------------------------------------------------

def test_withdrawn_topic_shows_its_state(client, world, make_topic, place, fetch):
    topic = make_topic(world.event, world.participant, "Changed my mind")
    place(topic, world.participant, world.rooms["Atrium"], world.sessions[0])
    login_as(client, world.participant)

    response = client.post(url(topic, "withdraw"))
    page = client.get(url(topic)).get_data(as_text=True)
    board = client.get(f"/e/{world.event.slug}").get_data(as_text=True)

    assert response.status_code == 302
    assert fetch(Topic, topic.id).status == "withdrawn"
    assert "This topic was withdrawn" in page
    assert "ll come</button>" not in page
    assert "Changed my mind" not in board


def test_participant_cannot_withdraw_someone_elses_topic(client, world, make_topic, fetch):
    topic = make_topic(world.event, world.organizer)
    login_as(client, world.participant)

    response = client.post(url(topic, "withdraw"))

    assert response.status_code == 403
    assert fetch(Topic, topic.id).status == "proposed"


# Organizer tools -------------------------------------------------------------------------------

def test_organizer_swaps_two_topics(client, world, make_topic, place, fetch):
    first = make_topic(world.event, world.participant, "First")
    place(first, world.participant, world.rooms["Atrium"], world.sessions[0])
    second = make_topic(world.event, world.organizer, "Second")
    place(second, world.organizer, world.rooms["Library"], world.sessions[1])
    login_as(client, world.organizer)

    page = client.get(url(first)).get_data(as_text=True)
    response = client.post(url(first, "swap"), data={"with_topic": second.id})

    assert f'<option value="{second.id}">Second' in page
    assert response.status_code == 302
    assert fetch(Topic, first.id).room_id == world.rooms["Library"]
    assert fetch(Topic, second.id).room_id == world.rooms["Atrium"]


def test_swap_of_two_unplaced_topics_explains_why_not(client, world, make_topic):
    first = make_topic(world.event, world.participant, "First")
    second = make_topic(world.event, world.organizer, "Second")
    login_as(client, world.organizer)

    response = client.post(url(first, "swap"), data={"with_topic": second.id})

    assert response.status_code == 400
    assert "Neither topic is placed; nothing to swap." in response.get_data(as_text=True)


def test_organizer_merges_a_duplicate_which_then_links_to_the_survivor(client, app, world,
                                                                      make_topic, fetch):
    survivor = make_topic(world.event, world.organizer, "Pricing <models>")
    duplicate = make_topic(world.event, world.participant, "How to price")
    login_as(client, world.organizer)

    response = client.post(url(duplicate, "merge"), data={"into": survivor.id, "confirm": "1"})
    page = client.get(url(duplicate)).get_data(as_text=True)

    assert response.status_code == 302
    assert response.location == url(survivor)
    assert fetch(Topic, duplicate.id).status == "merged"
    assert "This topic was merged into" in page
    assert f'<a href="/t/{survivor.id}">Pricing &lt;models&gt;</a>' in page
    with app.app_context():  # the duplicate's convener now counts as interested
        assert [i.user_id for i in db.session.get(Topic, survivor.id).interests] == [
            world.participant.id]


def test_participant_gets_no_organizer_tools_and_cannot_swap(client, world, make_topic, place):
    first = make_topic(world.event, world.participant, "First")
    place(first, world.participant, world.rooms["Atrium"], world.sessions[0])
    second = make_topic(world.event, world.participant, "Second")
    login_as(client, world.participant)

    page = client.get(url(first)).get_data(as_text=True)
    swap = client.post(url(first, "swap"), data={"with_topic": second.id})
    merge = client.post(url(second, "merge"), data={"into": first.id})

    assert "Organizer tools" not in page
    assert (swap.status_code, merge.status_code) == (403, 403)


@pytest.mark.parametrize(("language", "day", "clock"), [
    ("de", "Montag, 23. November", "11:00"),
    ("fr", "lundi 23 novembre", "11:00"),
    ("ja", "11月23日月曜日", "11:00"),
    ("en", "Monday, 23 November", "11:00"),
])
def test_the_topic_page_writes_its_day_and_time_as_the_viewers_language_does(
        client, world, make_topic, place, language, day, clock):
    topic = make_topic(world.event, world.participant, "Hiring juniors")
    place(topic, world.participant, world.rooms["Library"], world.sessions[1])

    page = client.get(url(topic), headers={"Accept-Language": language}).get_data(as_text=True)

    assert f'<html lang="{language}"' in page
    where = re.search(r'<strong class="topic-room">Library</strong>\s*<span>[^<]*', page).group(0)
    assert day in where, where
    assert clock in page


# Task order, what placement offers, merge with confirmation and undo --------------------------

def test_topic_page_is_in_task_order_title_where_coming_placement_notes_photos(
        client, world, make_topic):
    topic = make_topic(world.event, world.participant, "In order")
    login_as(client, world.participant)

    page = client.get(url(topic)).get_data(as_text=True)

    marks = ['id="topic-title"', 'class="topic-when"', "I\u2019ll come</button>",
             'id="manage-title"', 'id="notes-title"', 'id="photos-title"']
    positions = [page.index(mark) for mark in marks]
    assert positions == sorted(positions)


def test_placement_offers_only_allowed_cells_and_says_why_not(client, world, make_topic,
                                                              place):
    mine = make_topic(world.event, world.participant, "My other session")
    holder = make_topic(world.event, world.organizer, "Holder")
    topic = make_topic(world.event, world.participant, "To place")
    place(mine, world.participant, world.rooms["Atrium"], world.sessions[0])
    place(holder, world.organizer, world.rooms["Atrium"], world.sessions[1])
    login_as(client, world.participant)

    page = client.get(url(topic)).get_data(as_text=True)

    assert re.findall(r'name="cell" value="(\d+:\d+)"', page) == [cell(world, "Library", 1)]
    assert "You already convene \u201cMy other session\u201d at that time." in page
    assert "Atrium by \u201cHolder\u201d" in page
    assert "That time is the plenary" in page or "That time is a plenary" in page
    assert "convenes" not in page  # said to the convener, not about them


def test_merge_asks_to_confirm_first_and_its_select_preselects_nothing(client, world,
                                                                      make_topic, fetch):
    survivor = make_topic(world.event, world.organizer, "Pricing")
    duplicate = make_topic(world.event, world.participant, "How to price")
    login_as(client, world.organizer)

    page = client.get(url(duplicate)).get_data(as_text=True)
    confirm = client.get(url(duplicate, "merge") + f"?into={survivor.id}")
    posted_without_confirm = client.post(url(duplicate, "merge"), data={"into": survivor.id})
    nothing_chosen = client.get(url(duplicate, "merge") + "?into=")

    select = page[page.index('<select id="into"'):page.index("</select>", page.index(
        '<select id="into"'))]
    assert '<option value="" selected disabled>' in select
    assert select.count("selected") == 1
    assert f'method="get" action="/t/{duplicate.id}/merge"' in page
    body = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    assert "Merge \u201cHow to price\u201d into \u201cPricing\u201d?" in body
    assert 'name="confirm" value="1"' in body
    assert posted_without_confirm.status_code == 200
    assert nothing_chosen.status_code == 400
    assert fetch(Topic, duplicate.id).status == "proposed"


def test_merge_offers_an_undo_that_restores_the_topic_and_its_interest(
        client, app, world, make_topic, interest, fetch):
    survivor = make_topic(world.event, world.organizer, "Pricing")
    duplicate = make_topic(world.event, world.participant, "How to price")
    interest(duplicate, world.organizer)
    login_as(client, world.organizer)

    merged = client.post(url(duplicate, "merge"), data={"into": survivor.id, "confirm": "1"})
    survivor_page = client.get(merged.location).get_data(as_text=True)
    token = re.search(r'name="undo" value="([^"]+)"', survivor_page).group(1)
    again = client.get(url(survivor)).get_data(as_text=True)
    undone = client.post(url(duplicate, "unmerge"), data={"undo": token})
    replay = client.post(url(duplicate, "unmerge"), data={"undo": token})
    forged = client.post(url(duplicate, "unmerge"), data={"undo": token[:-2] + "xx"})

    assert "Merged \u201cHow to price\u201d into this topic" in survivor_page
    assert 'name="undo"' not in again  # offered once, right after
    assert undone.status_code == 302 and undone.location == url(duplicate)
    assert fetch(Topic, duplicate.id).status == "proposed"
    with app.app_context():
        assert [i.user_id for i in db.session.get(Topic, survivor.id).interests] == []
        assert [i.user_id for i in db.session.get(Topic, duplicate.id).interests] == [
            world.organizer.id]
    assert replay.status_code == 409
    assert forged.status_code == 400
