"""The limits of issue 11 against floods: one per action whatever the transport (pages, API,
sockets), quick-join identities, join-code guessing through the pages, anonymous sign-ins and
sign-ups per client address and overall, and the client address behind a trusted proxy.

Buckets keep their burst sizes but do not refill during these tests (`no_refill`), so a count
is exact however slow the machine is; the sizes themselves are domain/ratelimit.py's.
"""

from __future__ import annotations

import io
import re
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from PIL import Image

from openspace.domain import accounts, events, ratelimit
from openspace.domain.ratelimit import LIMITS, Limit
from openspace.extensions import db, socketio
from openspace.models import Event, Membership, Photo, Topic, User, utcnow
from tests.conftest import close_app, login, make_app

VENUE = "192.0.2.10"  # one wifi router for everyone (TEST-NET addresses)
ELSEWHERE = "198.51.100.7"


@pytest.fixture(autouse=True)
def no_refill(monkeypatch):
    for action, limit in list(LIMITS.items()):
        monkeypatch.setitem(LIMITS, action, Limit(rate=1e-6, burst=limit.burst))
    ratelimit.reset()
    yield
    ratelimit.reset()


def _from(address: str) -> dict:
    return {"environ_overrides": {"REMOTE_ADDR": address}}


def _drain(key: str, action: str, leave: int = 0) -> None:
    """Spend a bucket down to `leave` tokens, as earlier requests would have."""
    for _ in range(LIMITS[action].burst - leave):
        ratelimit.hit(key, action)


def _member(app, make_user, make_event, join):
    organizer, member = make_user(name="Olga"), make_user(name="Mo")
    event = make_event(organizer)
    join(event, member)
    return event, member


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (20, 120, 200)).save(out, "JPEG")
    return out.getvalue()


# One limit per action, whatever the transport ------------------------------------------------

def test_proposals_through_the_form_are_limited_like_the_api(app, make_user, make_event, join):
    event, member = _member(app, make_user, make_event, join)
    page = app.test_client()
    assert login(page, member.email).status_code == 302
    burst = LIMITS["board"].burst

    codes = [page.post(f"/e/{event.slug}/topics", data={"title": f"Topic {n}"}).status_code
             for n in range(burst + 1)]

    assert codes == [302] * burst + [429]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Topic.id))) == burst
    refused = page.post(f"/e/{event.slug}/topics", data={"title": "One more"})
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Too many changes" in refused.get_data(as_text=True)


def test_the_pages_the_api_and_the_sockets_share_one_bucket(app, make_user, make_event, join):
    event, member = _member(app, make_user, make_event, join)
    page = app.test_client()
    assert login(page, member.email).status_code == 302
    with app.app_context():
        token = accounts.create_token(user=db.session.get(User, member.id))
    sock = socketio.test_client(app, flask_test_client=page)
    third = LIMITS["board"].burst // 3

    by_form = [page.post(f"/e/{event.slug}/topics", data={"title": f"Form {n}"}).status_code
               for n in range(third)]
    by_api = [app.test_client().post(f"/api/v1/events/{event.slug}/topics",
                                     json={"title": f"API {n}"},
                                     headers={"Authorization": f"Bearer {token}"}).status_code
              for n in range(third)]
    by_socket = [sock.emit("board:propose", {"slug": event.slug, "topic": {"title": f"S {n}"}},
                           callback=True)["ok"] for n in range(LIMITS["board"].burst - 2 * third)]

    assert (by_form, by_api, by_socket) == ([302] * third, [201] * third,
                                            [True] * (LIMITS["board"].burst - 2 * third))
    assert page.post(f"/e/{event.slug}/topics", data={"title": "x"}).status_code == 429
    assert app.test_client().post(f"/api/v1/events/{event.slug}/topics", json={"title": "x"},
                                  headers={"Authorization": f"Bearer {token}"}).status_code == 429
    ack = sock.emit("board:propose", {"slug": event.slug, "topic": {"title": "x"}}, callback=True)
    assert ack["error"]["code"] == "rate_limited"


def test_interest_toggles_through_the_form_are_limited(app, make_user, make_event, join,
                                                       make_topic):
    event, member = _member(app, make_user, make_event, join)
    topic = make_topic(event, member)
    page = app.test_client()
    assert login(page, member.email).status_code == 302
    projector = socketio.test_client(app)
    projector.emit("event:join", {"slug": event.slug}, callback=True)
    projector.get_received()
    burst = LIMITS["board"].burst

    codes = [page.post(f"/t/{topic.id}/interest", data={"interested": "1" if n % 2 == 0 else "0"})
             .status_code for n in range(burst + 1)]

    assert codes == [302] * burst + [429]
    changes = [m for m in projector.get_received() if m["name"] == "board:changed"]
    assert len(changes) == burst  # the refused toggle reached no board


def test_photo_uploads_through_the_form_have_their_own_bucket(app, make_user, make_event, join,
                                                              make_topic):
    event, member = _member(app, make_user, make_event, join)
    topic = make_topic(event, member)
    page = app.test_client()
    assert login(page, member.email).status_code == 302
    burst = LIMITS["photo"].burst

    codes = [page.post(f"/t/{topic.id}/photos", content_type="multipart/form-data",
                       data={"photo": (io.BytesIO(_jpeg()), "flipchart.jpg"), "caption": ""})
             .status_code for _ in range(burst + 1)]

    assert codes == [302] * burst + [429]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Photo.id))) == burst
    # Other board actions have their own bucket still.
    assert page.post(f"/e/{event.slug}/topics", data={"title": "After the photos"}) \
        .status_code == 302


# Quick join: per address, per event, and what a fresh identity may do --------------------------

def _quick_join(client, event: Event, name: str, address: str = VENUE):
    return client.post(f"/e/{event.slug}/join", data={"join_code": event.join_code,
                                                      "name": name}, **_from(address))


def test_a_venue_behind_one_address_can_quick_join(app, make_event):
    event = make_event()
    burst = LIMITS["quick_join"].burst

    codes = [_quick_join(app.test_client(), event, f"Attendee {n}").status_code
             for n in range(burst)]

    assert codes == [302] * burst
    refused = _quick_join(app.test_client(), event, "One too many")
    assert refused.status_code == 429
    assert "Too many people joining from your network" in refused.get_data(as_text=True)
    assert _quick_join(app.test_client(), event, "Next door", ELSEWHERE).status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Membership.id)).where(
            Membership.event_id == event.id)) == burst + 2  # and the organizer


def test_quick_joins_per_event_are_bounded_whatever_the_address(app, make_event):
    event, other = make_event(), make_event(name="Another")
    _drain(f"event:{event.id}", "quick_join_event")

    assert _quick_join(app.test_client(), event, "Late", ELSEWHERE).status_code == 429
    assert _quick_join(app.test_client(), other, "Fine", ELSEWHERE).status_code == 302


def _identity(app, event: Event, n: int):
    """A quick-join identity made through the join page, and its socket."""
    client = app.test_client()
    assert _quick_join(client, event, f"Sock puppet {n}").status_code == 302
    return socketio.test_client(app, flask_test_client=client)


def test_ten_quick_join_identities_do_not_get_ten_full_bursts(app, make_event):
    event = make_event()
    puppets = [_identity(app, event, n) for n in range(10)]
    per_identity = LIMITS["board"].burst

    acks = [sock.emit("board:propose", {"slug": event.slug, "topic": {"title": f"Spam {n}"}},
                      callback=True) for sock in puppets for n in range(per_identity)]

    done = sum(ack["ok"] for ack in acks)
    assert done == 10 * LIMITS["fresh"].burst
    assert {ack["error"]["code"] for ack in acks if not ack["ok"]} == {"rate_limited"}


def test_after_its_first_minute_an_identity_has_the_full_bucket(app, make_event):
    event = make_event()
    sock = _identity(app, event, 1)
    fresh = LIMITS["fresh"].burst
    assert [sock.emit("board:propose", {"slug": event.slug, "topic": {"title": f"T {n}"}},
                      callback=True)["ok"] for n in range(fresh + 1)] == [True] * fresh + [False]
    with app.app_context():
        db.session.execute(sa.update(User).where(User.name == "Sock puppet 1").values(
            created_at=utcnow() - ratelimit.FRESH_FOR - timedelta(seconds=1)))
        db.session.commit()

    rest = LIMITS["board"].burst - fresh
    acks = [sock.emit("board:propose", {"slug": event.slug, "topic": {"title": f"U {n}"}},
                      callback=True)["ok"] for n in range(rest + 1)]

    assert acks == [True] * rest + [False]


def test_an_organizer_who_just_signed_up_can_set_up_the_event(app):
    client = app.test_client()
    assert client.post("/register", data={"name": "Olga", "email": "olga@example.org",
                                          "password": "correct horse"}).status_code == 302
    assert client.post("/events/new", data={
        "name": "Drupal CXO", "slug": "cxo", "timezone": "Europe/Brussels",
        "starts_on": "2026-11-23", "visibility": "public"}).status_code == 302

    rooms = [client.post("/e/cxo/rooms", data={"newroom-name": f"Room {n}"}).status_code
             for n in range(LIMITS["board"].burst - 1)]

    assert rooms == [302] * (LIMITS["board"].burst - 1)


# Join codes through the pages ----------------------------------------------------------------

def _wrong_codes(event: Event, count: int) -> list[str]:
    codes = [f"ZZZZ{n:02d}" for n in range(count)]
    assert event.join_code not in codes
    return codes


def test_guessing_codes_on_the_home_page_is_limited_per_address(app, make_event):
    event = make_event(visibility="private")
    client = app.test_client()
    burst = LIMITS["join_code"].burst

    codes = [client.get(f"/join?code={code}", **_from(VENUE)).status_code
             for code in _wrong_codes(event, burst + 1)]

    assert codes == [404] * burst + [429]
    # Past the limit the right code is refused too: a refusal must not tell right from wrong.
    assert client.get(f"/join?code={event.join_code}", **_from(VENUE)).status_code == 429
    assert client.get(f"/join?code={event.join_code}", **_from(ELSEWHERE)).status_code == 302


def test_guessing_codes_on_the_event_join_page_is_limited_but_right_codes_are_free(
        app, make_event):
    event = make_event(visibility="private")
    client = app.test_client()
    burst = LIMITS["join_code"].burst
    for _ in range(3 * burst):  # a whole venue scanning the QR code
        assert client.get(f"/e/{event.slug}/join?code={event.join_code}",
                          **_from(VENUE)).status_code == 200

    codes = [client.get(f"/e/{event.slug}/join?code={code}", **_from(VENUE)).status_code
             for code in _wrong_codes(event, burst)]
    posted = client.post(f"/e/{event.slug}/join", data={"join_code": "ZZZZZZ", "name": "X"},
                         **_from(VENUE))

    assert codes == [404] * burst
    assert posted.status_code == 429
    assert "Too many wrong join codes" in posted.get_data(as_text=True)


def test_a_logged_in_guesser_is_limited_from_any_address(app, make_user, make_event):
    event = make_event(visibility="private")
    guesser = make_user()
    client = app.test_client()
    assert login(client, guesser.email).status_code == 302
    burst = LIMITS["join_code"].burst
    addresses = [f"203.0.113.{n}" for n in range(burst + 1)]

    codes = [client.get(f"/join?code={code}", **_from(address)).status_code
             for code, address in zip(_wrong_codes(event, burst + 1), addresses, strict=True)]

    assert codes == [404] * burst + [429]


# Anonymous sign-ins and sign-ups ---------------------------------------------------------------

def test_fresh_emails_do_not_dodge_the_per_address_sign_in_budget(app, make_user):
    user = make_user(email="real@example.org")
    client = app.test_client()
    _drain(f"addr:{VENUE}", "signin", leave=2)

    tries = [client.post("/api/v1/tokens", json={"email": f"guess{n}@example.org",
                                                  "password": "guess guess"},
                         **_from(VENUE)).status_code for n in range(2)]
    page = client.post("/login", data={"email": user.email, "password": "correct horse"},
                       **_from(VENUE))
    api = client.post("/api/v1/tokens", json={"email": user.email, "password": "correct horse"},
                      **_from(VENUE))

    assert tries == [401, 401]
    assert page.status_code == 429 and "from your network" in page.get_data(as_text=True)
    assert api.status_code == 429 and api.json["error"]["code"] == "rate_limited"
    assert int(api.headers["Retry-After"]) > 0
    assert client.post("/api/v1/tokens", json={"email": user.email, "password": "correct horse"},
                       **_from(ELSEWHERE)).status_code == 201


def test_all_addresses_together_have_one_password_budget(app, make_user):
    user = make_user(email="real@example.org")
    _drain("all", "passwords")

    for address in (VENUE, ELSEWHERE):
        response = app.test_client().post("/api/v1/tokens", json={
            "email": user.email, "password": "correct horse"}, **_from(address))
        assert response.status_code == 429
    # Requests that do not come from the network (the CLI, the tests' factories) are not counted.
    assert make_user().id


def test_sign_ups_are_limited_per_address(app):
    client = app.test_client()
    _drain(f"addr:{VENUE}", "signup", leave=1)

    first = client.post("/api/v1/users", json={"email": "a@example.org", "name": "A",
                                                "password": "correct horse"}, **_from(VENUE))
    second = client.post("/api/v1/users", json={"email": "b@example.org", "name": "B",
                                                 "password": "correct horse"}, **_from(VENUE))
    page = client.post("/register", data={"email": "c@example.org", "name": "C",
                                          "password": "correct horse"}, **_from(VENUE))

    assert (first.status_code, second.status_code, page.status_code) == (201, 429, 429)
    assert "Too many new accounts" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(sa.select(User.email)).all() == ["a@example.org"]


# Refusals are answered late ----------------------------------------------------------------------

def test_a_refusal_is_held_back_while_everyone_else_is_served(app, make_event):
    app.config["RATELIMIT_DELAY"] = 10.0  # the default is 1 s; long here, so order is certain
    event = make_event()
    _drain(f"addr:{VENUE}", "join_code")
    refused: list = []
    flood = threading.Thread(target=lambda: refused.append(
        app.test_client().get("/join?code=ZZZZZZ", **_from(VENUE))))
    flood.start()

    others = [app.test_client().get(f"/e/{event.slug}", **_from(ELSEWHERE)).status_code
              for _ in range(20)]
    answered_before = bool(refused)
    flood.join()

    assert others == [200] * 20
    assert not answered_before  # still held while twenty other pages were served
    assert refused[0].status_code == 429


# Malformed messages and bodies: a budget per sender, then cut off -------------------------------

def _nested(depth: int = 200):
    value: list = []
    for _ in range(depth - 1):
        value = [value]
    return value


def _cut_off(sock) -> bool:
    """The server cuts a socket just after its last ack (a background task): wait for it."""
    deadline = time.monotonic() + 30  # a bound for a loaded machine, not a speed
    while sock.is_connected() and time.monotonic() < deadline:
        time.sleep(0.01)
    return not sock.is_connected()


def _socket_of(app, user):
    page = app.test_client()
    assert login(page, user.email).status_code == 302
    return socketio.test_client(app, flask_test_client=page)


def test_a_socket_sending_malformed_messages_is_cut_and_its_user_kept_out(
        app, make_user, make_event, join):
    event, member = _member(app, make_user, make_event, join)
    other = make_user(name="Innocent")
    join(event, other)
    sock, bystander = _socket_of(app, member), _socket_of(app, other)
    burst = LIMITS["malformed"].burst

    acks = [sock.emit("board:propose", _nested(), callback=True) for _ in range(burst)]

    assert {a["error"]["code"] for a in acks} == {"invalid"}  # every one still answered
    assert _cut_off(sock)  # the last one used the budget up: cut
    assert not _socket_of(app, member).is_connected()  # and the user's next socket refused
    assert bystander.emit("board:propose", {"slug": event.slug, "topic": {"title": "Fine"}},
                          callback=True)["ok"] is True  # nobody else is touched


def test_one_malformed_message_too_few_keeps_the_socket(app, make_user, make_event, join):
    event, member = _member(app, make_user, make_event, join)
    sock = _socket_of(app, member)
    for _ in range(LIMITS["malformed"].burst - 1):
        assert sock.emit("event:join", "not an object", callback=True)["ok"] is False
    assert sock.is_connected()
    assert sock.emit("event:join", {"slug": event.slug}, callback=True)["ok"] is True


def test_an_anonymous_socket_is_cut_alone(app, make_event):
    event = make_event()
    flood, reader = socketio.test_client(app), socketio.test_client(app)
    for _ in range(LIMITS["malformed"].burst):
        flood.emit("event:join", _nested(), callback=True)
    assert _cut_off(flood)
    # Anonymous readers share an address at a venue: the budget was the connection's own.
    assert reader.emit("event:join", {"slug": event.slug}, callback=True)["ok"] is True
    assert socketio.test_client(app).is_connected()


def test_past_the_malformed_budget_large_bodies_are_refused_unread(app, make_user):
    make_user(email="venue@example.org")
    api = app.test_client()
    bad = "[" * 100 + "]" * 100
    for _ in range(LIMITS["malformed"].burst):
        response = api.post("/api/v1/tokens", data=bad, content_type="application/json",
                            **_from(VENUE))
        assert response.status_code == 400 and response.json["error"]["code"] == "invalid"

    large = '{"email": "venue@example.org", "password": "correct horse", "label": "' + \
        "x" * ratelimit.UNREAD_BODY + '"}'
    refused = api.post("/api/v1/tokens", data=large, content_type="application/json",
                       **_from(VENUE))
    assert refused.status_code == 429 and refused.json["error"]["code"] == "rate_limited"
    assert refused.headers["Connection"] == "close" and int(refused.headers["Retry-After"]) > 0
    # Small bodies still pass from that address (everyone else at the venue logs in)...
    small = api.post("/api/v1/tokens", json={"email": "venue@example.org",
                                             "password": "correct horse"}, **_from(VENUE))
    assert small.status_code == 201
    # ...and large ones from elsewhere are read as usual (here: a label too long, a 400).
    elsewhere = api.post("/api/v1/tokens", data=large, content_type="application/json",
                         **_from(ELSEWHERE))
    assert elsewhere.status_code == 400 and "label" in elsewhere.json["error"]["fields"]


# The client address ---------------------------------------------------------------------------

def test_x_forwarded_for_is_not_trusted_by_default(app, make_event):
    event = make_event()
    _drain(f"addr:{VENUE}", "join_code")

    response = app.test_client().get(f"/join?code={event.join_code}", headers={
        "X-Forwarded-For": ELSEWHERE}, **_from(VENUE))

    assert response.status_code == 429


@pytest.fixture
def proxied_app(tmp_path):
    """The app behind one trusted reverse proxy (docs/deploy.md's nginx), at 127.0.0.1."""

    app = make_app(tmp_path, TRUSTED_PROXIES=1)
    yield app
    close_app(app)


def test_behind_a_trusted_proxy_each_forwarded_address_has_its_own_budget(proxied_app):
    with proxied_app.app_context():
        organizer = accounts.create_quick_user(name="Olga")
        event = events.create_event(user=organizer, data={
            "name": "Behind nginx", "timezone": "UTC", "starts_on": "2026-11-23",
            "visibility": "public"})
        code = event.join_code
    _drain(f"addr:{VENUE}", "join_code")
    client = proxied_app.test_client()

    def ask(forwarded: str) -> int:
        return client.get(f"/join?code={code}", headers={"X-Forwarded-For": forwarded},
                          **_from("127.0.0.1")).status_code

    assert ask(VENUE) == 429
    assert ask(ELSEWHERE) == 302
    # nginx appends the address it saw: what a client wrote before it is not believed.
    assert ask(f"{ELSEWHERE}, {VENUE}") == 429


def test_the_limits_are_documented_with_their_numbers():
    text = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text()
    for action, limit in LIMITS.items():
        row = re.search(rf"^\| `{action}` \|.*$", text, re.MULTILINE)
        assert row, f"docs/security.md has no row for the {action!r} limit"
        assert str(limit.burst) in row.group(0), (action, row.group(0))
