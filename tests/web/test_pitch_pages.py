"""The pitch queue's pages: "I want to announce a topic" on the marketplace (plain forms, no
script needed), your place in line, leaving, "Done"; the queue page with the facilitator's
controls; the projector's "pitches" mode. Bad input gets a clear error and loses nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from openspace.domain import pitches
from openspace.extensions import db
from openspace.models import Event, Pitch, PitchState, ProjectorMode, Topic, User

from .conftest import login_as


def _event(world) -> Event:
    return db.session.get(Event, world.event.id)


def _open(app, world, **data) -> None:
    with app.app_context():
        pitches.update_queue(event=_event(world), user=db.session.get(User, world.organizer.id),
                             data={"open": True, **data})


def _pitches(app, world) -> list[tuple[str, str]]:
    with app.app_context():
        return [(title, str(state)) for title, state in db.session.execute(
            sa.select(Topic.title, Pitch.state).join(Topic, Topic.id == Pitch.topic_id)
            .where(Pitch.event_id == world.event.id).order_by(Pitch.position))]


def _topics(app, world) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(Topic.title).where(
            Topic.event_id == world.event.id).order_by(Topic.id)))


@pytest.fixture
def pat(client, world):
    login_as(client, world.participant)
    return client


def _market(client, world) -> str:
    return client.get(f"/e/{world.event.slug}/marketplace").get_data(as_text=True)


def test_the_marketplace_offers_to_announce_a_topic_while_the_queue_is_open(app, world, pat):
    closed = _market(pat, world)
    assert 'id="pitches"' in closed and 'data-pitch-hide-closed' in closed
    assert "I want to announce a topic" in closed  # rendered hidden: shown live when it opens
    assert 'class="pitch-join" data-pitch-if-open hidden' in closed

    _open(app, world)
    page = _market(pat, world)

    assert 'class="pitch-join" data-pitch-if-open>' in page
    assert f'action="/e/{world.event.slug}/pitches"' in page
    assert 'name="title"' in page


def test_a_title_proposes_the_topic_and_joins_the_queue_in_one_step(app, world, pat):
    _open(app, world)

    response = pat.post(f"/e/{world.event.slug}/pitches", data={"title": "Pricing in 2027"})

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/marketplace#pitches")
    assert _topics(app, world) == ["Pricing in 2027"]
    assert _pitches(app, world) == [("Pricing in 2027", "waiting")]
    page = _market(pat, world)
    assert "is in the queue: number 1 in line" in page
    assert "You're first in line: get ready." in page
    assert "Leave the queue" in page


@pytest.mark.parametrize("title,problem", [
    ("", "is required"), ("x" * 121, "at most 120"), ("Two\x00nul", "control characters"),
])
def test_a_bad_title_is_refused_with_the_reason_and_kept(app, world, pat, title, problem):
    _open(app, world)

    response = pat.post(f"/e/{world.event.slug}/pitches", data={"title": title})

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert problem in page
    assert '<details class="sheet" id="announce" open>' in page
    if title and "\x00" not in title:
        assert f'value="{title}"' in page
    assert _topics(app, world) == [] and _pitches(app, world) == []


def test_a_closed_queue_refuses_before_the_topic_is_made(app, world, pat):
    response = pat.post(f"/e/{world.event.slug}/pitches", data={"title": "Too early"})

    assert response.status_code == 409
    assert "The queue is closed" in response.get_data(as_text=True)
    assert 'value="Too early"' in response.get_data(as_text=True)
    assert _topics(app, world) == []


def test_a_proposed_topic_lines_up_with_one_tap(app, world, pat, make_topic):
    topic = make_topic(world.event, world.participant, "Hiring juniors")
    _open(app, world)
    page = _market(pat, world)
    assert "Line up to announce \u201cHiring juniors\u201d" in page

    response = pat.post(f"/e/{world.event.slug}/pitches", data={"topic_id": str(topic.id)})

    assert response.status_code == 302
    assert _pitches(app, world) == [("Hiring juniors", "waiting")]
    again = pat.post(f"/e/{world.event.slug}/pitches", data={"topic_id": str(topic.id)})
    assert again.status_code == 409
    assert "in the queue already" in again.get_data(as_text=True)


def test_someone_elses_topic_cannot_be_queued_by_its_id(app, world, pat, make_topic):
    theirs = make_topic(world.event, world.organizer, "Olga's")
    _open(app, world)

    response = pat.post(f"/e/{world.event.slug}/pitches", data={"topic_id": str(theirs.id)})

    assert response.status_code == 403
    assert _pitches(app, world) == []


def test_leaving_the_queue(app, world, pat):
    _open(app, world)
    pat.post(f"/e/{world.event.slug}/pitches", data={"title": "Leaving soon"})
    with app.app_context():
        pitch_id = db.session.scalar(sa.select(Pitch.id))

    response = pat.post(f"/e/{world.event.slug}/pitches/{pitch_id}/leave", follow_redirects=True)

    assert "\u201cLeaving soon\u201d left the queue." in response.get_data(as_text=True)
    assert _pitches(app, world) == [("Leaving soon", "left")]
    again = pat.post(f"/e/{world.event.slug}/pitches/{pitch_id}/leave", follow_redirects=True)
    assert "This topic is not in the queue." in again.get_data(as_text=True)


def test_your_turn_shows_done_and_done_hands_over(app, world, pat, client, quick_user, join):
    _open(app, world)
    pat.post(f"/e/{world.event.slug}/pitches", data={"title": "First up"})
    other = quick_user("Quentin")
    join(world.event, other)
    second = app.test_client()
    login_as(second, other)
    second.post(f"/e/{world.event.slug}/pitches", data={"title": "Second up"})
    organizer = app.test_client()
    login_as(organizer, world.organizer)
    organizer.post(f"/e/{world.event.slug}/pitches/next", data={"current_id": ""})

    page = _market(pat, world)
    assert "It's your turn" in page and "Done: next convener" in page
    waiting = _market(second, world)
    assert "Number 1 in line, about 1 minute to go." in waiting
    with app.app_context():
        first_id = db.session.scalar(sa.select(Pitch.id).where(
            Pitch.state == PitchState.CURRENT))

    response = pat.post(f"/e/{world.event.slug}/pitches/{first_id}/done", follow_redirects=True)

    assert "Thank you! The next convener is on." in response.get_data(as_text=True)
    assert _pitches(app, world) == [("First up", "done"), ("Second up", "current")]


@pytest.fixture
def olga(app, world):
    client = app.test_client()
    login_as(client, world.organizer)
    return client


def test_the_facilitator_runs_the_queue_from_a_phone(app, world, olga, pat):
    queue_page = f"/e/{world.event.slug}/pitches"
    page = olga.get(queue_page).get_data(as_text=True)
    assert "Open the queue" in page and "Next convener" in page
    assert 'name="seconds"' in page and 'value="60"' in page

    response = olga.post(f"{queue_page}/settings", data={"open": "1"}, follow_redirects=True)
    assert "The queue is open" in response.get_data(as_text=True)
    pat.post(queue_page, data={"title": "Cake"})
    response = olga.post(f"{queue_page}/next", data={"current_id": ""}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Now: \u201cCake\u201d by Pat." in page
    assert 'class="pitch-stage-title" data-pitch-current-title>Cake<' in page

    # A second tap on the same (now stale) page does not skip anyone.
    response = olga.post(f"{queue_page}/next", data={"current_id": ""}, follow_redirects=True)
    assert "The queue moved on meanwhile" in response.get_data(as_text=True)
    assert _pitches(app, world) == [("Cake", "current")]

    response = olga.post(f"{queue_page}/settings", data={"seconds": "45"}, follow_redirects=True)
    assert "Each pitch now has 45 seconds." in response.get_data(as_text=True)
    response = olga.post(f"{queue_page}/settings", data={"open": "0"}, follow_redirects=True)
    assert "The queue is closed" in response.get_data(as_text=True)
    with app.app_context():
        assert (_event(world).pitch_queue_open, _event(world).pitch_seconds) == (False, 45)


@pytest.mark.parametrize("seconds,problem", [
    ("29", "must be between 30 and 90"), ("abc", "must be a whole number"),
    ("", "is required"), ("1e3", "must be a whole number"),
])
def test_bad_seconds_are_refused_and_kept_in_the_box(app, world, olga, seconds, problem):
    response = olga.post(f"/e/{world.event.slug}/pitches/settings", data={"seconds": seconds})

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert problem in page
    assert f'value="{seconds}"' in page or not seconds
    with app.app_context():
        assert _event(world).pitch_seconds == 60


def test_a_bad_open_value_is_refused(app, world, olga):
    response = olga.post(f"/e/{world.event.slug}/pitches/settings", data={"open": "maybe"})
    assert response.status_code == 400
    assert "must be true or false" in response.get_data(as_text=True)


def test_next_with_a_bad_current_id_says_so(app, world, olga):
    _open(app, world)
    response = olga.post(f"/e/{world.event.slug}/pitches/next", data={"current_id": "x1"},
                         follow_redirects=True)
    assert "Some fields are not valid." in response.get_data(as_text=True)


def test_participants_see_the_queue_but_not_the_controls(app, world, pat):
    page = pat.get(f"/e/{world.event.slug}/pitches").get_data(as_text=True)
    assert "Next in line" in page and "Nobody is waiting." in page
    assert "Next convener" not in page and "Open the queue" not in page
    assert pat.post(f"/e/{world.event.slug}/pitches/next").status_code == 403
    assert pat.post(f"/e/{world.event.slug}/pitches/settings",
                    data={"open": "1"}).status_code == 403


def test_the_projector_shows_the_convener_the_countdown_and_the_next_three(app, world, olga,
                                                                         quick_user, join):
    _open(app, world)
    for n in range(5):
        person = quick_user(f"Person {n}")
        join(world.event, person)
        phone = app.test_client()
        login_as(phone, person)
        phone.post(f"/e/{world.event.slug}/pitches", data={"title": f"Topic {n}"})
    olga.post(f"/e/{world.event.slug}/pitches/next", data={"current_id": ""})

    page = olga.get(f"/e/{world.event.slug}/projector").get_data(as_text=True)

    assert 'data-shows="pitches"' in page  # "automatic" shows the queue while it is open
    assert 'class="pitch-topic" data-pitch-current-title>Topic 0<' in page
    assert "by Person 0" in page
    assert 'data-pitch-countdown data-ends-at="' in page
    assert page.count('class="pitch-next-item"') == 3
    assert "4 waiting" in page
    assert "Opening marketplace" in page  # the controls' mode button


def test_the_projector_mode_pitches_shows_the_queue_even_when_closed(app, world, olga):
    response = olga.post(f"/e/{world.event.slug}/projector/mode", data={"mode": "pitches"},
                         follow_redirects=True)
    assert "Every projector shows: the opening marketplace." in response.get_data(as_text=True)
    with app.app_context():
        assert _event(world).projector_mode == ProjectorMode.PITCHES
    page = olga.get(f"/e/{world.event.slug}/projector").get_data(as_text=True)
    assert 'data-shows="pitches"' in page
    assert "Line up on your phone" in page
    assert "The queue is closed." in page
    board = olga.get(f"/e/{world.event.slug}/projector?mode=board").get_data(as_text=True)
    assert 'data-shows="board"' in board
