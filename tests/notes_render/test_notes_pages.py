"""The rendered notes on the topic page and the organizers' "sessions without notes" page."""

from __future__ import annotations

import re
from datetime import datetime

from .conftest import Elements, login_as

# The topic page --------------------------------------------------------------------------------

def rendered_section(page: str) -> str:
    """The formatted notes: inside the editor's mount (what shows until the editor replaces it,
    and all that readers without JavaScript get)."""
    start = page.index('id="notes-rendered"')
    return page[start:page.index("</section>", start)]


def test_topic_page_shows_rendered_notes_with_their_action_items_once(client, world,
                                                                        make_topic, write_note):
    topic = make_topic(world.event, world.participant, "Hiring juniors")
    write_note(topic, "# Hiring juniors\n\n## Key points\n\n- mentors **matter**\n\n"
                      "## Recommendations\n\n## Action items\n\n- [ ] Draft a plan @pat\n"
                      "- [x] Share slides @olga\n",
               updated_at=datetime(2026, 11, 23, 9, 30))  # UTC: 10:30 in Brussels

    page = client.get(f"/t/{topic.id}").get_data(as_text=True)

    section = rendered_section(page)
    editor = page[page.index("data-note-editor>"):page.index("</section>", page.index(
        "data-note-editor>"))]
    assert 'id="notes-rendered"' in editor  # the editor replaces it: never both on screen
    # Under the page's h2 "Session notes": h3, the title line and the empty heading left out.
    assert re.findall(r"<h[1-6][^>]*>([^<]*)</h", section) == ["Key points", "Action items"]
    assert "<li>mentors <strong>matter</strong></li>" in section
    assert "Last changed Monday, 23 November, 10:30" in section
    # Each action item once: as the task line of the notes, its checkbox labelled by its text.
    assert page.count("Draft a plan") == 1 and page.count("Share slides") == 1
    assert re.findall(r'<label><input class="task-list-item-checkbox"( checked="checked")? '
                      r'type="checkbox" disabled="disabled">([^<]*)</label>', section) == [
        ("", " Draft a plan @pat"), (' checked="checked"', " Share slides @olga")]
    assert f'href="/e/{world.event.slug}/actions"' in section
    assert "Nobody has written notes" not in page


def test_topic_page_notes_are_sanitized(client, world, make_topic, write_note):
    topic = make_topic(world.event, world.participant, "XSS")
    write_note(topic, "<script>alert(1)</script>\n\n[x](javascript:alert(1)) "
                      "![p](https://tracker.example/p.gif)\n")

    page = client.get(f"/t/{topic.id}").get_data(as_text=True)

    section = rendered_section(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in section
    assert "<script>alert" not in page
    assert Elements(section).attrs("img") == []
    hrefs = [a.get("href") for a in Elements(section).attrs("a")]
    assert hrefs == ["https://tracker.example/p.gif", f"/e/{world.event.slug}/join",
                     f"/e/{world.event.slug}/actions"]


def test_topic_page_says_when_there_are_no_notes_or_only_the_template(client, world,
                                                                      make_topic, write_note):
    empty = make_topic(world.event, world.participant, "Empty")
    template = make_topic(world.event, world.participant, "Template")
    write_note(template, "## Key points\n\n## Action items\n", has_content=False)

    empty_page = client.get(f"/t/{empty.id}").get_data(as_text=True)
    template_page = client.get(f"/t/{template.id}").get_data(as_text=True)

    assert '<p class="empty-note">No notes yet.</p>' in empty_page
    assert "only the report template is there" in template_page
    assert "<h2>Key points</h2>" not in template_page


# Sessions without notes ------------------------------------------------------------------------

def status_world(world, make_topic, place, write_note):
    written = make_topic(world.event, world.participant, "Written early")
    template = make_topic(world.event, world.organizer, "Template only")
    missing_late = make_topic(world.event, world.participant, "Missing late")
    missing_early = make_topic(world.event, world.organizer, "Missing early")
    make_topic(world.event, world.participant, "Not placed")
    place(written, world.participant, world.rooms["Atrium"], world.sessions[0])
    place(template, world.organizer, world.rooms["Atrium"], world.sessions[1])
    place(missing_late, world.participant, world.rooms["Library"], world.sessions[1])
    place(missing_early, world.organizer, world.rooms["Library"], world.sessions[0])
    write_note(written, "Notes!", updated_at=datetime(2026, 11, 23, 10, 5))
    write_note(template, "## Key points\n", has_content=False)


def test_notes_status_lists_sessions_lacking_notes_first(client, world, make_topic, place,
                                                         write_note):
    status_world(world, make_topic, place, write_note)
    login_as(client, world.organizer)

    response = client.get(f"/e/{world.event.slug}/notes-status")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    titles = re.findall(r'class="topic-title" href="/t/\d+">([^<]+)</a>', page)
    assert titles == ["Missing early", "Missing late", "Template only", "Written early"]
    states = re.findall(r'<span class="badge[^"]*">([^<]+)</span>', page)
    assert states == ["No notes yet", "No notes yet", "Template only", "Written"]
    assert '<time datetime="2026-11-23T11:05:00">11:05</time>' in page
    assert "1 of 4 sessions on the board have notes." in page
    assert "Not placed" not in page
    assert re.search(r'aria-current="page">(<svg[^>]*>.*?</svg>)?Notes</a>', page)  # its icon first


def test_notes_status_is_for_organizers_only(client, world, make_event):
    slug = world.event.slug
    login_as(client, world.participant)
    participant = client.get(f"/e/{slug}/notes-status")
    board = client.get(f"/e/{slug}").get_data(as_text=True)
    login_as(client, world.outsider)
    outsider = client.get(f"/e/{slug}/notes-status")
    private = make_event(world.organizer, name="Retreat", visibility="private")
    stranger = client.get(f"/e/{private.slug}/notes-status")

    assert participant.status_code == 403
    assert f'href="/e/{slug}/notes-status"' not in board
    assert outsider.status_code == 403
    assert stranger.status_code == 404


def test_notes_status_asks_anonymous_visitors_to_log_in(client, world):
    response = client.get(f"/e/{world.event.slug}/notes-status")

    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
