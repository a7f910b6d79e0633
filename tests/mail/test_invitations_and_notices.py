"""Invitations by mail, adding an address to a quick-join account, and the notifications
people opt into: followed from the mails as they arrive."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from openspace.domain import board, events
from openspace.domain.mail import notifications
from openspace.extensions import db
from openspace.models import Event, Membership, Role, Room, Topic, User, utcnow
from tests.mail.smtp import REFUSE_DOMAIN, link_in, text_of
from tests.web.conftest import login_as


def _member(app, event_id, email):
    with app.app_context():
        return db.session.execute(sa.select(User.name, Membership.role).join(Membership).where(
            Membership.event_id == event_id, User.email == email)).first()


def test_an_invitation_to_a_private_event_makes_the_account_and_joins(
        app, smtp, deliver, world_of):
    organizer, event = world_of(app)
    organizer_client = app.test_client()
    login_as(organizer_client, organizer)
    sent = organizer_client.post(f"/e/{event.slug}/invitations",
                                 data={"email": "newcomer@example.org", "role": "participant"})
    assert sent.status_code == 302
    page = organizer_client.get(f"/e/{event.slug}/invitations")
    assert b"newcomer@example.org" in page.data  # waiting to be accepted
    assert deliver() == 1
    [mail] = smtp.inbox.to("newcomer@example.org")
    assert "Olga invites you to Private Camp" in text_of(mail)

    guest = app.test_client()
    path = link_in(mail)
    page = guest.get(path)
    assert page.status_code == 200 and b"Private Camp" in page.data
    joined = guest.post(path, data={"name": "Nina"})
    assert joined.status_code == 302 and joined.headers["Location"] == f"/e/{event.slug}"
    assert guest.get(f"/e/{event.slug}").status_code == 200  # logged in, and a member
    assert _member(app, event.id, "newcomer@example.org") == ("Nina", Role.PARTICIPANT)
    assert app.test_client().post(path, data={"name": "Eve"}).status_code == 400  # once
    assert b"newcomer@example.org" not in organizer_client.get(
        f"/e/{event.slug}/invitations").data


def test_an_invitation_for_an_existing_account_asks_to_log_in_then_makes_co_organizer(
        app, smtp, deliver, world_of, make_user_in):
    organizer, event = world_of(app)
    member_id = make_user_in(app, "ada@example.org", "Ada")
    client = app.test_client()
    login_as(client, organizer)
    client.post(f"/e/{event.slug}/invitations",
                data={"email": "ada@example.org", "role": "organizer"})
    deliver()
    path = link_in(smtp.inbox.to("ada@example.org")[0])
    forwarded = app.test_client()
    page = forwarded.get(path)
    assert b"log in to accept" in page.data
    refused = forwarded.post(path, data={"name": "Mallory"})
    assert refused.status_code == 401 and _member(app, event.id, "ada@example.org") is None
    ada = app.test_client()
    with app.app_context():
        login_as(ada, db.session.get(User, member_id))
    assert ada.post(path).status_code == 302
    assert _member(app, event.id, "ada@example.org") == ("Ada", Role.ORGANIZER)


def test_a_revoked_invitation_no_longer_works(app, smtp, deliver, world_of):
    organizer, event = world_of(app)
    client = app.test_client()
    login_as(client, organizer)
    client.post(f"/e/{event.slug}/invitations", data={"email": "x@example.org"})
    deliver()
    path = link_in(smtp.inbox.to("x@example.org")[0])
    with app.app_context():
        from openspace.domain.mail import invitations

        [row] = invitations.pending(db.session.get(Event, event.id))
        invitation_id = row.id
    assert client.post(f"/e/{event.slug}/invitations/{invitation_id}/revoke").status_code == 302
    assert app.test_client().post(path, data={"name": "X"}).status_code == 400


def test_a_failed_invitation_is_shown_to_the_organizers(app, smtp, deliver, world_of):
    organizer, event = world_of(app)
    client = app.test_client()
    login_as(client, organizer)
    client.post(f"/e/{event.slug}/invitations", data={"email": "typo" + REFUSE_DOMAIN})
    assert deliver() == 0
    page = client.get(f"/e/{event.slug}/invitations").data.decode()
    assert 'id="failed-mail"' in page and "typo" + REFUSE_DOMAIN in page and "550" in page


def test_a_quick_join_account_adds_its_address_and_opens_on_another_device(
        app, smtp, deliver, quick_user_in):
    phone = app.test_client()
    user = quick_user_in(app, "Quinn")
    login_as(phone, user)
    assert phone.post("/account/email", data={"email": "quinn@example.org"}).status_code == 302
    deliver()
    [mail] = smtp.inbox.to("quinn@example.org")
    laptop = app.test_client()
    path = link_in(mail)
    assert b"quinn@example.org" in laptop.get(path).data
    assert laptop.post(path).status_code == 302
    assert b"Quinn" in laptop.get("/account").data  # the same account, on the laptop
    with app.app_context():
        assert db.session.get(User, user.id).email == "quinn@example.org"
    # From now on, a sign-in link brings it back anywhere.
    smtp.inbox.clear()
    tablet = app.test_client()
    tablet.post("/login/link", data={"email": "quinn@example.org"})
    deliver()
    assert tablet.post(link_in(smtp.inbox.to("quinn@example.org")[0])).status_code == 302
    assert b"Quinn" in tablet.get("/account").data


def test_adding_an_address_that_has_an_account_mails_that_account_a_sign_in_link(
        app, smtp, deliver, quick_user_in, make_user_in):
    make_user_in(app, "taken@example.org", "Owner")
    phone = app.test_client()
    login_as(phone, quick_user_in(app, "Quinn"))
    response = phone.post("/account/email", data={"email": "taken@example.org"})
    assert response.status_code == 302  # the same answer as for a free address
    deliver()
    [mail] = smtp.inbox.to("taken@example.org")
    assert "belongs to your account already" in text_of(mail)


def _opted_in_world(app, quick_user_in, world_of, make_user_in):
    organizer, event = world_of(app)
    fan_id = make_user_in(app, "fan@example.org", "Fan")
    with app.app_context():
        event_ = db.session.get(Event, event.id)
        org = db.session.get(User, organizer.id)
        fan = db.session.get(User, fan_id)
        events.join_event(event=event_, user=fan, join_code=event_.join_code)
        room = events.add_room(event=event_, user=org, data={"name": "Atrium"})
        other = events.add_room(event=event_, user=org, data={"name": "Library"})
        slot = events.add_slot(event=event_, user=org, data={
            "starts_at": "2026-11-23T10:00", "ends_at": "2026-11-23T11:00", "kind": "session"})
        topics = [board.propose_topic(event=event_, user=org, data={"title": title})
                  for title in ("Hiring", "Pricing", "Unrelated")]
        board.place_topic(topic=topics[0], user=org, room_id=room.id, slot_id=slot.id)
        for topic in topics[:2]:
            board.set_interest(topic=topic, user=fan, interested=True)
        ids = [t.id for t in topics]
        rooms = (room.id, other.id, slot.id)
    fan_client = app.test_client()
    with app.app_context():
        login_as(fan_client, db.session.get(User, fan_id))
    assert fan_client.post("/account/notifications",
                           data={"sessions": "y", "summary": "y"}).status_code == 302
    return organizer, event, fan_id, fan_client, ids, rooms


def test_one_mail_per_burst_of_changes_to_sessions_i_will_come_to(
        app, smtp, deliver, quick_user_in, world_of, make_user_in):
    organizer, event, fan_id, fan_client, ids, (room, other, slot) = _opted_in_world(
        app, quick_user_in, world_of, make_user_in)
    with app.app_context():
        org = db.session.get(User, organizer.id)
        hiring, pricing, unrelated = (db.session.get(Topic, i) for i in ids)
        board.place_topic(topic=hiring, user=org, room_id=other, slot_id=slot)  # moved
        board.place_topic(topic=hiring, user=org, room_id=room, slot_id=slot)  # and back
        board.withdraw_topic(topic=pricing, user=org)
        board.withdraw_topic(topic=unrelated, user=org)  # the fan never said they'd come
    assert deliver() == 0  # the burst is still going on
    assert deliver(now=utcnow() + notifications.QUIET + timedelta(seconds=1)) == 1
    [mail] = smtp.inbox.to("fan@example.org")
    text = text_of(mail)
    assert mail["Subject"] == "Private Camp: 2 sessions you'll come to have changed"
    assert "Hiring is now in Atrium, Mon 23 Nov, 10:00–11:00 CET" in text
    assert "Pricing was withdrawn" in text and "Unrelated" not in text
    assert f"/t/{ids[0]}" in text
    assert deliver(now=utcnow() + timedelta(hours=1)) == 0  # nothing twice


def test_no_mail_for_ones_own_change_nor_without_opting_in(
        app, smtp, deliver, quick_user_in, world_of, make_user_in):
    organizer, event, fan_id, fan_client, ids, (room, other, slot) = _opted_in_world(
        app, quick_user_in, world_of, make_user_in)
    with app.app_context():
        fan = db.session.get(User, fan_id)
        # The fan proposes and places their own topic, says they'll come, then moves it.
        event_ = db.session.get(Event, event.id)
        own = board.propose_topic(event=event_, user=fan, data={"title": "Mine"})
        board.set_interest(topic=own, user=fan, interested=True)
        board.place_topic(topic=own, user=fan, room_id=other, slot_id=slot)
        board.release_topic(topic=own, user=fan)
    assert fan_client.post("/account/notifications", data={}).status_code == 302  # opts out
    with app.app_context():
        org = db.session.get(User, organizer.id)
        board.release_topic(topic=db.session.get(Topic, ids[0]), user=org)
    assert deliver(now=utcnow() + timedelta(hours=1)) == 0
    assert smtp.inbox.messages == []


def test_the_summary_published_is_mailed_to_members_who_asked(
        app, smtp, deliver, quick_user_in, world_of, make_user_in):
    organizer, event, fan_id, fan_client, ids, _ = _opted_in_world(
        app, quick_user_in, world_of, make_user_in)
    org_client = app.test_client()
    login_as(org_client, organizer)
    assert org_client.post(f"/e/{event.slug}/summary/publish",
                           data={"published": "1"}).status_code == 302
    assert deliver(now=utcnow() + notifications.QUIET + timedelta(seconds=1)) == 1
    [mail] = smtp.inbox.to("fan@example.org")
    assert mail["Subject"] == "The summary of Private Camp is out"
    assert fan_client.get(link_in(mail)).status_code == 200


def test_a_session_whose_slot_gets_a_new_time_is_a_move(
        app, smtp, deliver, quick_user_in, world_of, make_user_in):
    organizer, event, fan_id, fan_client, ids, (room, other, slot) = _opted_in_world(
        app, quick_user_in, world_of, make_user_in)
    with app.app_context():
        org = db.session.get(User, organizer.id)
        event_ = db.session.get(Event, event.id)
        slot_ = events.get_slot(event_, slot)
        events.update_slot(slot=slot_, user=org, data={"label": "Round one"})  # not a move
        assert deliver(now=utcnow() + timedelta(hours=1)) == 0
        events.update_slot(slot=events.get_slot(event_, slot), user=org, data={
            "starts_at": "2026-11-23T14:00", "ends_at": "2026-11-23T15:00"})
    assert deliver(now=utcnow() + notifications.QUIET + timedelta(seconds=1)) == 1
    [mail] = smtp.inbox.to("fan@example.org")
    assert mail["Subject"] == "Private Camp: Hiring has changed"
    assert "Hiring is now in Atrium, Mon 23 Nov, 14:00–15:00 CET" in text_of(mail)


def test_sessions_of_a_removed_room_or_slot_go_back_to_the_marketplace_and_say_so(
        app, smtp, deliver, quick_user_in, world_of, make_user_in):
    organizer, event, fan_id, fan_client, ids, (room, other, slot) = _opted_in_world(
        app, quick_user_in, world_of, make_user_in)
    with app.app_context():
        org = db.session.get(User, organizer.id)
        events.delete_room(room=db.session.get(Room, room), user=org)
    assert deliver(now=utcnow() + notifications.QUIET + timedelta(seconds=1)) == 1
    [mail] = smtp.inbox.to("fan@example.org")
    assert "Hiring is back on the marketplace" in text_of(mail)

    smtp.inbox.clear()
    with app.app_context():
        org = db.session.get(User, organizer.id)
        board.place_topic(topic=db.session.get(Topic, ids[1]), user=org, room_id=other,
                          slot_id=slot)
        assert deliver(now=utcnow() + timedelta(hours=1)) == 0  # placed, not moved
        events.delete_slot(slot=events.get_slot(db.session.get(Event, event.id), slot),
                           user=org)
    assert deliver(now=utcnow() + timedelta(hours=2)) == 1
    [mail] = smtp.inbox.to("fan@example.org")
    assert "Pricing is back on the marketplace" in text_of(mail)


def test_a_quick_join_is_told_it_can_keep_its_account_by_adding_an_email(app, world_of):
    organizer, event = world_of(app)
    phone = app.test_client()
    joined = phone.post(f"/e/{event.slug}/join", data={"name": "Quinn",
                                                       "join_code": event.join_code},
                        follow_redirects=True)
    assert joined.status_code == 200
    assert "Add your email under your name (top right)" in joined.data.decode()
    assert b'id="add-email"' in phone.get("/account").data
