"""The live projector switch: organizers change what projectors show, every socket joined to the
event hears it once (and nothing when the switch is refused or changes nothing)."""

from __future__ import annotations

from openspace.extensions import socketio
from tests.conftest import login


def _watcher(app, event):
    sock = socketio.test_client(app)
    assert sock.emit("event:join", {"slug": event.slug}, callback=True)["ok"] is True
    sock.get_received()
    return sock


def _switches(sock):
    return [m["args"][0] for m in sock.get_received() if m["name"] == "projector:changed"]


def test_switching_the_mode_reaches_every_projector_at_once(app, make_user, make_event):
    organizer = make_user()
    event = make_event(organizer)
    projectors = [_watcher(app, event), _watcher(app, event)]
    client = app.test_client()
    login(client, organizer.email)

    response = client.post(f"/e/{event.slug}/projector/mode", data={"mode": "news"})

    assert response.status_code == 302
    for sock in projectors:
        assert _switches(sock) == [{"kind": "mode", "mode": "news"}]
    # The same mode again changes nothing and says nothing.
    client.post(f"/e/{event.slug}/projector/mode", data={"mode": "news"})
    assert _switches(projectors[0]) == []


def test_the_api_switch_is_the_same_switch(app, make_user, make_event):
    organizer = make_user()
    event = make_event(organizer)
    sock = _watcher(app, event)
    client = app.test_client()
    login(client, organizer.email)
    token = client.get("/api/v1/csrf").get_json()["csrf_token"]

    response = client.patch(f"/api/v1/events/{event.slug}", json={"projector_mode": "board"},
                            headers={"X-CSRFToken": token})

    assert response.status_code == 200 and response.get_json()["projector_mode"] == "board"
    assert _switches(sock) == [{"kind": "mode", "mode": "board"}]


def test_a_refused_or_bad_switch_is_not_broadcast(app, make_user, make_event, join):
    organizer, pat = make_user(), make_user()
    event = make_event(organizer)
    join(event, pat)
    sock = _watcher(app, event)
    client = app.test_client()
    login(client, pat.email)
    assert client.post(f"/e/{event.slug}/projector/mode", data={"mode": "news"}
                       ).status_code == 403
    login(client, organizer.email)
    client.post(f"/e/{event.slug}/projector/mode", data={"mode": "disco"})
    assert _switches(sock) == []
    assert client.get(f"/api/v1/events/{event.slug}").get_json()["projector_mode"] == "auto"
