"""GET /events/{slug}/board carries an ETag of what it holds: a client that has the board gets
304 without a body; any change (a board change, or a name the board shows) gives a new tag."""

from __future__ import annotations

from openspace.domain import accounts, board
from openspace.extensions import db
from openspace.models import Event, User


def test_the_board_answers_304_to_a_client_that_has_it(app, client, make_user, make_event):
    organizer = make_user()
    event = make_event(organizer)
    url = f"/api/v1/events/{event.slug}/board"

    first = client.get(url)
    tag = first.headers["ETag"]
    assert first.status_code == 200 and tag.startswith(f'"v{first.get_json()["version"]}-')
    again = client.get(url, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == tag
    assert client.get(url, headers={"If-None-Match": '"v0-other", ' + tag}).status_code == 304

    with app.app_context():
        board.propose_topic(event=db.session.get(Event, event.id),
                            user=db.session.get(User, organizer.id), data={"title": "New"})
    changed = client.get(url, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    assert [t["title"] for t in changed.get_json()["topics"]] == ["New"]

    # A renamed convener changes what the board shows, not its version: a new tag all the same.
    tag = changed.headers["ETag"]
    with app.app_context():
        accounts.update_profile(user=db.session.get(User, organizer.id), name="Renamed")
    renamed = client.get(url, headers={"If-None-Match": tag})
    assert renamed.status_code == 200 and renamed.get_json()["version"] == \
        changed.get_json()["version"] and renamed.headers["ETag"] != tag
