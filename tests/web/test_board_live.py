"""GET /e/<slug>/live: the board page's live regions from the per-version cache, with an ETag
(the board page names it, live.js sends it back) and 304 when the client has them; one body per
what differs between viewers (role, the topics they come to, language), never another
viewer's; a new tag for every change the regions show; a private board's tag is no way in."""

from __future__ import annotations

import html

from openspace.domain import accounts, board, events
from openspace.extensions import db
from openspace.models import Event, Topic, User

from .conftest import login_as


def live_url(event) -> str:
    return f"/e/{event.slug}/live"


def fetch_live(client, event, tag: str | None = None, **headers):
    if tag:
        headers["If-None-Match"] = tag
    return client.get(live_url(event), headers=headers)


def page_tag(client, event) -> str:
    page = client.get(f"/e/{event.slug}").get_data(as_text=True)
    return html.unescape(page.split('data-live-etag="', 1)[1].split('"', 1)[0])


def test_the_fragment_answers_304_to_a_client_that_has_it(client, world, make_topic):
    make_topic(world.event, world.participant, "Hiring juniors")
    tag = page_tag(client, world.event)  # what the board page says it shows

    first = fetch_live(client, world.event)
    body = first.get_data(as_text=True)
    assert first.status_code == 200 and first.headers["ETag"] == tag
    assert first.mimetype == "text/html" and first.headers["Cache-Control"] == "private, no-cache"
    assert 'data-live-region="state"' in body and 'data-live-region="grid"' in body
    assert f'data-version="{board_version(client, world.event)}"' in body
    assert "<html" not in body and "Hiring juniors" not in body  # the regions only; not placed

    again = fetch_live(client, world.event, tag)
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == tag
    assert fetch_live(client, world.event, f'"v0-other", {tag}').status_code == 304


def board_version(client, event) -> int:
    with client.application.app_context():
        return db.session.get(Event, event.id).board_version


def test_viewers_who_see_the_same_share_a_body_and_others_never_get_it(app, world, quick_user,
                                                                      join, make_topic, place,
                                                                      interest):
    topic = make_topic(world.event, world.participant, "Hiring juniors")
    place(topic, world.participant, world.rooms["Library"], world.sessions[1])
    interest(topic, world.participant)
    other = quick_user("Quinn")
    join(world.event, other)

    seen = {}
    for name, user in [("organizer", world.organizer), ("participant", world.participant),
                       ("other", other), ("outsider", world.outsider), ("anonymous", None)]:
        client = app.test_client()
        if user:
            login_as(client, user)
        response = fetch_live(client, world.event)
        seen[name] = (response.headers["ETag"], response.get_data(as_text=True))
    tags = {name: tag for name, (tag, _) in seen.items()}
    # A member and an outsider (or a visitor) see different boards; the participant comes to
    # the topic, Quinn does not; an outsider who is logged in sees what a visitor sees.
    assert len({tags["organizer"], tags["participant"], tags["other"], tags["anonymous"]}) == 4
    assert tags["outsider"] == tags["anonymous"] and seen["outsider"][1] == seen["anonymous"][1]

    assert "You'll come" in seen["participant"][1]
    assert "You'll come" not in seen["other"][1] and "You'll come" not in seen["organizer"][1]
    assert "Lock the board" in seen["organizer"][1]
    assert "Lock the board" not in seen["participant"][1]
    assert "Put a topic here" in seen["other"][1] and "Put a topic here" not in seen["anonymous"][1]
    # What is rendered once for many carries no session's CSRF token (live.js adds the page's).
    assert 'name="csrf_token" value=""' in seen["organizer"][1]

    # A tag names one viewer's content: sent by another viewer it is not theirs (no 304).
    client = app.test_client()
    login_as(client, other)
    assert fetch_live(client, world.event, tags["participant"]).status_code == 200
    assert fetch_live(client, world.event, tags["other"]).status_code == 304


def test_each_language_has_its_own_body(client, world):
    english = fetch_live(client, world.event, **{"Accept-Language": "en"})
    german = fetch_live(client, world.event, **{"Accept-Language": "de"})
    assert english.headers["ETag"] != german.headers["ETag"]
    assert "Free" in english.get_data(as_text=True)
    assert "Frei" in german.get_data(as_text=True)
    assert fetch_live(client, world.event, english.headers["ETag"],
                      **{"Accept-Language": "de"}).status_code == 200


def test_every_change_the_regions_show_is_a_new_tag(app, client, world, make_topic, place):
    topic = make_topic(world.event, world.participant, "Hiring juniors")
    tags = [fetch_live(client, world.event).headers["ETag"]]

    def changed(step) -> str:
        with app.app_context():
            step()
        response = fetch_live(client, world.event, tags[-1])
        assert response.status_code == 200, step
        tags.append(response.headers["ETag"])
        return response.get_data(as_text=True)

    def organizer():
        return db.session.get(User, world.organizer.id)

    place(topic, world.participant, world.rooms["Library"], world.sessions[1])  # a board change
    response = fetch_live(client, world.event, tags[-1])
    assert response.status_code == 200 and "Hiring juniors" in response.get_data(as_text=True)
    tags.append(response.headers["ETag"])

    # A rename the board shows: not a board change, a new tag all the same.
    page = changed(lambda: accounts.update_profile(
        user=db.session.get(User, world.participant.id), name="Patricia"))
    assert "by Patricia" in page
    # The event's zone: every time label on the wall.
    page = changed(lambda: events.update_event(
        event=db.session.get(Event, world.event.id), user=organizer(),
        data={"timezone": "Asia/Tokyo"}))
    assert "JST" in page
    page = changed(lambda: events.set_board_state(
        event=db.session.get(Event, world.event.id), user=organizer(), state="locked"))
    assert "The board is locked." in page
    changed(lambda: board.withdraw_topic(topic=db.session.get(Topic, topic.id), user=organizer()))
    assert len(set(tags)) == len(tags)


def test_a_role_change_is_a_new_tag_for_that_viewer(app, client, world):
    login_as(client, world.participant)
    before = fetch_live(client, world.event)
    with app.app_context():
        events.set_role(event=db.session.get(Event, world.event.id),
                        user=db.session.get(User, world.organizer.id),
                        member_id=world.participant.id, role="organizer")
    after = fetch_live(client, world.event, before.headers["ETag"])
    assert after.status_code == 200 and "Lock the board" in after.get_data(as_text=True)


def test_a_board_turned_private_is_not_served_to_outsiders_from_its_cache(app, world):
    visitor, outsider, member = app.test_client(), app.test_client(), app.test_client()
    login_as(outsider, world.outsider)
    login_as(member, world.participant)
    live_tags = {c: fetch_live(c, world.event).headers["ETag"] for c in (visitor, outsider)}
    json_url = f"/api/v1/events/{world.event.slug}/board"
    json_tag = visitor.get(json_url).headers["ETag"]
    member_tag = fetch_live(member, world.event).headers["ETag"]

    with app.app_context():
        events.update_event(event=db.session.get(Event, world.event.id),
                            user=db.session.get(User, world.organizer.id),
                            data={"visibility": "private"})

    for client, tag in live_tags.items():
        # Neither the cached body nor a 304 that would confirm the tag: the event is not there.
        assert fetch_live(client, world.event, tag).status_code == 404
        assert fetch_live(client, world.event).status_code == 404
    assert visitor.get(json_url, headers={"If-None-Match": json_tag}).status_code == 404
    assert visitor.get(json_url).status_code == 404
    # Members still see it (the visibility is on the board's tag: a new one).
    still = fetch_live(member, world.event, member_tag)
    assert still.status_code == 200 and still.headers["ETag"] != member_tag


def test_a_new_join_code_is_not_a_new_tag(app, client, world):
    """The join code is not on the board, so it is not in its tag (which anyone may read)."""
    urls = (live_url(world.event), f"/api/v1/events/{world.event.slug}/board")
    tags = [client.get(url).headers["ETag"] for url in urls]
    with app.app_context():
        events.regenerate_join_code(event=db.session.get(Event, world.event.id),
                                    user=db.session.get(User, world.organizer.id))
    assert [client.get(url, headers={"If-None-Match": tag}).status_code
            for url, tag in zip(urls, tags, strict=True)] == [304, 304]
