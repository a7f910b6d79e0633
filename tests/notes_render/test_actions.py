"""Action items: parsing task lines, the event's list in agenda order, the page and the CSV."""

from __future__ import annotations

import csv
import io

import pytest

from openspace.domain import actions, board
from openspace.domain.actions import ActionItem, csv_cell, parse_action_items
from openspace.extensions import db
from openspace.models import Event, Topic, User

from .conftest import Elements, login_as

# Parsing ---------------------------------------------------------------------------------------

def test_parse_task_lines_with_owners_and_state():
    markdown = (
        "# Report\n\n"
        "- [ ] Write the summary @anna\n"
        "- [x] Book the room @carl @dana\n"
        "* [X] Star bullet, no owner\n"
        "* [ ] Ask @anna, @ben and @carl about budget\n"
        "- a plain bullet @nobody\n"
    )

    items = parse_action_items(markdown)

    assert [(i.text, i.owners, i.done) for i in items] == [
        ("Write the summary", ["anna"], False),
        ("Book the room", ["carl", "dana"], True),
        ("Star bullet, no owner", [], True),
        ("Ask about budget", ["anna", "ben", "carl"], False),
    ]


def test_parse_keeps_emails_urls_and_punctuation_out_of_owners():
    items = parse_action_items(
        "- [ ] Mail jo@example.org the slides (@jo).\n"
        "- [ ] Read [docs](https://social.example/@drupal) @me, @me\n"
        "+ [ ] Plus bullet @ann-marie.\n"
    )

    assert [(i.text, i.owners) for i in items] == [
        ("Mail jo@example.org the slides.", ["jo"]),
        ("Read [docs](https://social.example/@drupal)", ["me"]),
        ("Plus bullet.", ["ann-marie"]),
    ]


def test_parse_finds_nested_and_ordered_tasks_but_not_code_or_empty_boxes():
    markdown = (
        "1. [ ] Ordered @eve\n"
        "- Topic\n"
        "  - [ ] Nested @fay\n"
        "- [ ] Spans\n  two lines @gus\n\n"
        "```\n- [ ] in a code block @no\n```\n\n"
        "    - [ ] indented code @no\n\n"
        "- [ ]\n"
        "- [] not a box @no\n"
        "Text [ ] not a list @no\n"
    )

    items = parse_action_items(markdown)

    assert [(i.text, i.owners) for i in items] == [
        ("Ordered", ["eve"]), ("Nested", ["fay"]), ("Spans two lines", ["gus"])]


def test_parse_skips_placeholders_like_the_report_templates_example():
    items = parse_action_items("## Action items\n- [ ] … @owner\n- [ ] ... @anna\n"
                               "- [ ] Real one @anna\n")

    assert [(i.text, i.owners) for i in items] == [("Real one", ["anna"])]


def test_parse_of_nothing_is_empty():
    assert parse_action_items("") == []
    assert parse_action_items(None) == []


def test_csv_cell_defuses_formulas():
    cells = ["=1+1", "+SUM(A1)", "-2", "@cmd", "\tx", "\rx", "plain", "a=b", ""]

    assert [csv_cell(c) for c in cells] == [
        "'=1+1", "'+SUM(A1)", "'-2", "'@cmd", "'\tx", "'\rx", "plain", "a=b", ""]


# The event's action items ----------------------------------------------------------------------

def agenda_world(app, world, make_topic, place, write_note):
    """Four sessions with task lines: Library 10:00, Atrium 11:00, Atrium 10:00, marketplace,
    and a withdrawn one whose tasks must not show."""
    library_10 = make_topic(world.event, world.organizer, "Library at ten")
    atrium_11 = make_topic(world.event, world.participant, "Atrium at eleven")
    atrium_10 = make_topic(world.event, world.participant, "Atrium at ten")
    unplaced = make_topic(world.event, world.participant, "On the marketplace")
    withdrawn = make_topic(world.event, world.participant, "Withdrawn")
    place(library_10, world.organizer, world.rooms["Library"], world.sessions[0])
    place(atrium_11, world.participant, world.rooms["Atrium"], world.sessions[1])
    place(atrium_10, world.participant, world.rooms["Atrium"], world.sessions[0])
    write_note(library_10, "- [ ] Library task @olga\n")
    write_note(atrium_11, "- [x] Eleven task @pat\n- [ ] Second eleven task\n")
    write_note(atrium_10, "Notes\n\n- [ ] Ten task @pat @olga\n")
    write_note(unplaced, "- [ ] Marketplace task\n")
    write_note(withdrawn, "- [ ] Withdrawn task\n")
    with app.app_context():
        board.withdraw_topic(topic=db.session.get(Topic, withdrawn.id),
                             user=db.session.get(User, world.participant.id))
    return atrium_10, library_10, atrium_11, unplaced


def test_event_action_items_follow_the_agenda(app, world, make_topic, place, write_note):
    atrium_10, library_10, atrium_11, unplaced = agenda_world(app, world, make_topic, place,
                                                              write_note)

    with app.app_context():
        items = actions.event_action_items(db.session.get(Event, world.event.id))
        found = [(i.topic.id, i.text, i.owners, i.done) for i in items]

    assert found == [
        (atrium_10.id, "Ten task", ["pat", "olga"], False),
        (library_10.id, "Library task", ["olga"], False),
        (atrium_11.id, "Eleven task", ["pat"], True),
        (atrium_11.id, "Second eleven task", [], False),
        (unplaced.id, "Marketplace task", [], False),
    ]


def test_action_items_page_groups_by_session(client, app, world, make_topic, place, write_note):
    agenda_world(app, world, make_topic, place, write_note)

    response = client.get(f"/e/{world.event.slug}/actions")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    titles = [t for t in ("Atrium at ten", "Library at ten", "Atrium at eleven",
                          "On the marketplace")]
    assert [page.index(f">{t}</a></h2>") for t in titles] == sorted(
        page.index(f">{t}</a></h2>") for t in titles)
    assert "Withdrawn" not in page
    assert page.count('<li class="action-item done"') == 1
    # Owners by their member's name (who reads this page may see no one's handle).
    assert '<span class="owner">Pat</span> <span class="owner">Olga</span>' in page
    assert f'href="/e/{world.event.slug}/actions.csv"' in page


def test_action_items_page_escapes_and_renders_item_markdown(client, world, make_topic,
                                                             write_note):
    topic = make_topic(world.event, world.participant, "Tricky")
    write_note(topic, "- [ ] Read **this** <img src=x onerror=alert(1)> [x](javascript:alert(1))\n")

    page = client.get(f"/e/{world.event.slug}/actions").get_data(as_text=True)

    assert "Read <strong>this</strong> &lt;img src=x onerror=alert(1)&gt;" in page
    assert "<img src=x" not in page
    assert all(not a.get("href", "").startswith("javascript")
               for a in Elements(page).attrs("a"))


def test_action_items_of_private_event_are_404_for_strangers(client, app, make_event, world,
                                                            make_topic, write_note):
    event = make_event(world.organizer, name="Retreat", visibility="private")
    topic = make_topic(event, world.organizer, "Secret plans")
    write_note(topic, "- [ ] Secret task @olga\n")
    login_as(client, world.outsider)

    assert client.get(f"/e/{event.slug}/actions").status_code == 404
    assert client.get(f"/e/{event.slug}/actions.csv").status_code == 404
    login_as(client, world.organizer)
    assert "Secret task" in client.get(f"/e/{event.slug}/actions").get_data(as_text=True)


def test_action_items_csv_has_the_columns_and_defuses_formulas(client, app, world, make_topic,
                                                               place, write_note):
    agenda_world(app, world, make_topic, place, write_note)
    evil = make_topic(world.event, world.participant, "=HYPERLINK(\"https://evil.example\")")
    write_note(evil, "- [ ] +1 for the budget @pat\n- [x] -5% costs, Zoë\n")

    response = client.get(f"/e/{world.event.slug}/actions.csv")

    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{world.event.slug}-action-items.csv"')
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    pat, olga = str(world.participant.id), str(world.organizer.id)
    assert rows == [  # owners by name, with their member ids
        ["session", "item", "owners", "owner_ids", "done"],
        ["Atrium at ten", "Ten task", "Pat, Olga", f"{pat} {olga}", "no"],
        ["Library at ten", "Library task", "Olga", olga, "no"],
        ["Atrium at eleven", "Eleven task", "Pat", pat, "yes"],
        ["Atrium at eleven", "Second eleven task", "", "", "no"],
        ["On the marketplace", "Marketplace task", "", "", "no"],
        ["'=HYPERLINK(\"https://evil.example\")", "'+1 for the budget", "Pat", pat, "no"],
        ["'=HYPERLINK(\"https://evil.example\")", "'-5% costs, Zoë", "", "", "yes"],
    ]


def test_action_item_as_dict():
    item = ActionItem(text="Do it", owners=["ann"], done=True)

    assert item.as_dict() == {"text": "Do it", "owners": ["ann"], "done": True, "topic_id": None,
                              "index": 0, "owner_members": []}


# Ticking from the actions page -----------------------------------------------------------------

@pytest.fixture
def yjs_note(app):
    """Write a note as an editor does (a Yjs update): ticking edits the CRDT, not the text."""
    from tests.summary.conftest import write_note as write

    def make(topic, user, markdown: str) -> None:
        with app.app_context():
            write(db.session.get(Topic, topic.id), db.session.get(User, user.id), markdown)

    return make


def _ticks(page: str) -> list[str]:
    return [label for label in __import__("re").findall(r'aria-label="(Mark as [^"]+)"', page)]


def test_an_owner_ticks_their_item_on_the_page_and_the_note_says_so(
        client, app, world, make_topic, yjs_note):
    topic = make_topic(world.event, world.participant, "Budget")
    yjs_note(topic, world.participant, "- [ ] Send the budget @pat\n- [ ] Ask the venue @olga\n")
    login_as(client, world.participant)
    slug = world.event.slug

    page = client.get(f"/e/{slug}/actions").get_data(as_text=True)
    assert _ticks(page) == ["Mark as done: Send the budget"]  # Pat ticks only Pat's item

    response = client.post(f"/e/{slug}/actions/tick", data={
        "topic_id": topic.id, "index": "0", "text": "Send the budget", "done": "1",
        "open": "1"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/e/{slug}/actions?open=1#item-{topic.id}-0"
    with app.app_context():
        markdown = actions.current_markdown(db.session.get(Topic, topic.id))
    assert markdown == "- [x] Send the budget @pat\n- [ ] Ask the venue @olga\n"
    page = client.get(f"/e/{slug}/actions?open=1").get_data(as_text=True)
    assert "Done: Send the budget" in page  # the flash
    assert "Ask the venue" in page and ">Send the budget<" not in page  # open ones only


def test_a_stale_page_is_told_and_a_stranger_is_refused(client, app, world, make_topic,
                                                        yjs_note, quick_user):
    topic = make_topic(world.event, world.participant, "Budget")
    yjs_note(topic, world.participant, "- [ ] Send the budget @pat\n")
    login_as(client, world.organizer)
    slug = world.event.slug
    stale = client.post(f"/e/{slug}/actions/tick", data={
        "topic_id": topic.id, "index": "0", "text": "What it said before", "done": "1"})
    assert stale.status_code == 302
    assert "This item changed in the notes meanwhile" in client.get(
        stale.headers["Location"]).get_data(as_text=True)
    stranger = app.test_client()
    login_as(stranger, quick_user("Sam"))
    refused = stranger.post(f"/e/{slug}/actions/tick", data={
        "topic_id": topic.id, "index": "0", "text": "Send the budget", "done": "1"})
    assert refused.status_code == 403
    with app.app_context():
        assert actions.current_markdown(db.session.get(Topic, topic.id)) == (
            "- [ ] Send the budget @pat\n")


def test_the_filters_mine_open_and_session(client, world, make_topic, write_note):
    first = make_topic(world.event, world.participant, "First")
    second = make_topic(world.event, world.participant, "Second")
    write_note(first, "- [ ] Mine open @pat\n- [x] Mine done @Pat\n")
    write_note(second, "- [ ] Olga's @olga\n- [ ] Nobody's\n")
    login_as(client, world.participant)
    slug = world.event.slug

    def shown(query: str) -> list[str]:
        page = client.get(f"/e/{slug}/actions{query}").get_data(as_text=True)
        return __import__("re").findall(r'<span class="action-text">([^<]+)</span>', page)

    assert shown("") == ["Mine open", "Mine done", "Olga's", "Nobody's"]
    assert shown("?mine=1") == ["Mine open", "Mine done"]
    assert shown("?mine=1&open=1") == ["Mine open"]
    assert shown(f"?session={second.id}") == ["Olga's", "Nobody's"]
    assert shown("?session=99999999999999999999") == shown("")  # not an id: no filter


def test_my_agenda_lists_my_action_items(client, world, make_topic, yjs_note, quick_user, app,
                                         join):
    topic = make_topic(world.event, world.participant, "Budget")
    yjs_note(topic, world.participant, "- [ ] Send the budget @pat\n- [ ] Olga's @olga\n")
    login_as(client, world.participant)

    page = client.get(f"/e/{world.event.slug}/me").get_data(as_text=True)

    assert "My action items" in page and "Send the budget" in page and "Olga's" not in page
    assert f'href="/e/{world.event.slug}/actions?mine=1"' in page
    newcomer = quick_user("<b>Zoë</b> Smith")
    join(world.event, newcomer)
    other = app.test_client()
    login_as(other, newcomer)
    page = other.get(f"/e/{world.event.slug}/me").get_data(as_text=True)
    assert "<code>@b_Zoë_b_Smith</code>" in page  # their handle, escaped, never their HTML
    assert "<b>Zoë</b>" not in page
