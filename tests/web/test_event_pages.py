"""The home page, creating an event, and the organizers' settings page."""

from __future__ import annotations

import re

import sqlalchemy as sa

from openspace import netaddrs
from openspace.extensions import db
from openspace.models import Event, Membership, Room, Slot, Topic

from .conftest import login_as


def settings_url(event) -> str:
    return f"/e/{event.slug}/settings"


def role_of(app, event, user):
    with app.app_context():
        return db.session.scalar(sa.select(Membership.role).where(
            Membership.event_id == event.id, Membership.user_id == user.id))


# Home page -------------------------------------------------------------------------------------

def test_index_lists_public_and_own_events_but_not_others_private(client, make_event, world,
                                                                  quick_user):
    mine = make_event(world.outsider, name="Outsider's private", visibility="private")
    make_event(world.organizer, name="Secret retreat", visibility="private")
    login_as(client, world.outsider)

    page = client.get("/").get_data(as_text=True)

    assert "Drupal CXO" in page
    assert mine.name.replace("'", "&#39;") in page
    assert "Secret retreat" not in page
    assert "Create an event" in page


def test_index_join_box_finds_the_event_by_code(client, world):
    response = client.get(f"/join?code={world.event.join_code.lower()}")

    assert response.status_code == 302
    assert response.location == f"/e/{world.event.slug}/join?code={world.event.join_code}"


def test_index_join_box_unknown_code_keeps_it_with_error(client, world):
    response = client.get("/join?code=ZZZZ99")

    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Join code: is not a valid join code" in page
    assert 'value="ZZZZ99"' in page


# Create ----------------------------------------------------------------------------------------

def test_create_event_requires_login(client):
    response = client.get("/events/new")

    assert response.status_code == 302
    assert response.location.startswith("/login")


def test_create_event_makes_the_creator_organizer(client, app, quick_user):
    user = quick_user("Kristof")
    login_as(client, user)
    form = client.get("/events/new").get_data(as_text=True)
    assert 'maxlength="120"' in form  # EVENT_NAME_MAX
    assert 'list="zones"' in form

    response = client.post("/events/new", data={
        "name": "Drupal CXO 2027", "slug": "cxo-2027", "theme": "How do we grow?",
        "venue": "Ghent", "timezone": "Europe/Brussels", "starts_on": "2027-02-01",
        "ends_on": "2027-02-02", "hashtag": "cxo", "visibility": "unlisted"})

    assert response.status_code == 302
    assert response.location == "/e/cxo-2027/settings"
    with app.app_context():
        event = db.session.scalar(sa.select(Event).where(Event.slug == "cxo-2027"))
        assert (event.name, event.hashtag, event.visibility) == ("Drupal CXO 2027", "#cxo",
                                                                  "unlisted")
    assert role_of(app, event, user) == "organizer"


def test_create_event_bad_input_keeps_typed_values(client, app, quick_user):
    login_as(client, quick_user("Kristof"))

    response = client.post("/events/new", data={
        "name": "Mars meetup", "timezone": "Mars/Olympus", "starts_on": "",
        "theme": "Life on <b>Mars</b>?", "visibility": "public"})

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Time zone: must be an IANA time zone" in page
    assert "First day: is required" in page
    assert 'value="Mars meetup"' in page
    assert 'value="Mars/Olympus"' in page
    assert "Life on &lt;b&gt;Mars&lt;/b&gt;?</textarea>" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Event)) == 0


def test_create_event_taken_slug_is_a_conflict_on_the_slug(client, world):
    login_as(client, world.outsider)

    response = client.post("/events/new", data={
        "name": "Copy", "slug": world.event.slug, "timezone": "UTC", "starts_on": "2027-01-01"})

    assert response.status_code == 409
    assert "is already used by another event" in response.get_data(as_text=True)


# Settings: who may see it ----------------------------------------------------------------------

def test_settings_shows_organizer_the_join_code_link_and_qr(client, world):
    login_as(client, world.organizer)

    response = client.get(settings_url(world.event))

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert world.event.join_code in page
    # The test client asks for "localhost": the link names this machine's network address.
    lan = netaddrs.lan_addresses()
    host = lan[0].ip if lan else "localhost"
    assert f"http://{host}/e/{world.event.slug}/join?code={world.event.join_code}" in page
    assert 'src="data:image/svg+xml' in page
    assert "Atrium" in page and "Library" in page
    assert "Olga" in page and "Pat" in page


def test_settings_is_forbidden_to_participants(client, world):
    login_as(client, world.participant)

    response = client.get(settings_url(world.event))

    assert response.status_code == 403
    assert world.event.join_code not in response.get_data(as_text=True)


def test_settings_redirects_anonymous_to_login(client, world):
    response = client.get(settings_url(world.event))

    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_private_event_settings_are_404_for_non_members(client, make_event, world):
    event = make_event(world.organizer, name="Retreat", visibility="private")
    login_as(client, world.outsider)

    assert client.get(settings_url(event)).status_code == 404


def test_participant_changes_to_settings_are_forbidden_and_reveal_nothing(client, world):
    login_as(client, world.participant)
    slug = world.event.slug

    responses = [
        client.post(f"/e/{slug}/settings", data={"name": "Hijacked", "timezone": "UTC"}),
        client.post(f"/e/{slug}/rooms", data={"newroom-name": ""}),  # invalid *and* forbidden
        client.post(f"/e/{slug}/join-code"),
        client.post(f"/e/{slug}/members/{world.participant.id}/role", data={"role": "organizer"}),
    ]

    assert [r.status_code for r in responses] == [403, 403, 403, 403]
    assert all(world.event.join_code not in r.get_data(as_text=True) for r in responses)


# Settings: details, join code ------------------------------------------------------------------

def test_update_event_details_are_saved(client, app, world, fetch):
    login_as(client, world.organizer)

    response = client.post(settings_url(world.event), data={
        "name": "Drupal CXO Ghent", "theme": "Growing agencies", "venue": "Ghent",
        "timezone": "Europe/Brussels", "starts_on": "2026-11-23", "ends_on": "2026-11-24",
        "hashtag": "#cxo", "visibility": "private"})

    assert response.status_code == 302
    event = fetch(Event, world.event.id)
    assert (event.name, event.venue, str(event.ends_on), event.visibility) == (
        "Drupal CXO Ghent", "Ghent", "2026-11-24", "private")


def test_update_event_bad_input_keeps_typed_values(client, world, fetch):
    login_as(client, world.organizer)

    response = client.post(settings_url(world.event), data={
        "name": "Renamed", "timezone": "Europe/Brussels", "starts_on": "2026-11-23",
        "ends_on": "2026-11-01", "hashtag": "not a tag!", "visibility": "public"})

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Hashtag: letters, digits, _ and - only" in page
    assert "Last day (empty for a one-day event): must not be before starts_on" in page
    assert 'value="Renamed"' in page
    assert 'value="not a tag!"' in page
    assert fetch(Event, world.event.id).name == "Drupal CXO"


def test_regenerate_join_code_retires_the_old_link(client, world, fetch):
    login_as(client, world.organizer)
    old = world.event.join_code

    response = client.post(f"/e/{world.event.slug}/join-code")

    new = fetch(Event, world.event.id).join_code
    assert response.status_code == 302
    assert new != old
    assert new in client.get(settings_url(world.event)).get_data(as_text=True)
    assert client.get(f"/e/{world.event.slug}/join?code={old}").status_code == 404


# Settings: rooms and slots ---------------------------------------------------------------------

def test_rooms_can_be_added_edited_and_removed(client, app, world, fetch):
    login_as(client, world.organizer)
    slug = world.event.slug

    added = client.post(f"/e/{slug}/rooms",
                        data={"newroom-name": "Garden", "newroom-capacity": "8"})
    with app.app_context():
        garden = db.session.scalar(sa.select(Room).where(Room.name == "Garden"))
    edited = client.post(f"/e/{slug}/rooms/{garden.id}", data={
        f"room{garden.id}-name": "Big garden", f"room{garden.id}-capacity": "30"})
    renamed = fetch(Room, garden.id)
    removed = client.post(f"/e/{slug}/rooms/{garden.id}/delete")

    assert [added.status_code, edited.status_code, removed.status_code] == [302, 302, 302]
    assert (garden.capacity, renamed.name, renamed.capacity) == (8, "Big garden", 30)
    assert fetch(Room, garden.id) is None


def test_add_room_with_taken_name_keeps_what_was_typed(client, world):
    login_as(client, world.organizer)

    response = client.post(f"/e/{world.event.slug}/rooms", data={
        "newroom-name": "Atrium", "newroom-capacity": "12"})

    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Room: is already used by another room" in page
    assert 'id="newroom-name"' in page and 'value="12"' in page


def test_edit_room_bad_capacity_shows_error_on_that_room(client, world):
    login_as(client, world.organizer)
    atrium = world.rooms["Atrium"]

    response = client.post(f"/e/{world.event.slug}/rooms/{atrium}", data={
        f"room{atrium}-name": "Atrium", f"room{atrium}-capacity": "lots"})

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Seats: must be a whole number" in page
    assert 'value="lots"' in page


def test_slots_can_be_added_edited_and_removed(client, app, world, fetch):
    login_as(client, world.organizer)
    slug = world.event.slug

    added = client.post(f"/e/{slug}/slots", data={
        "newslot-day": "2026-11-23", "newslot-start": "14:00", "newslot-end": "15:00",
        "newslot-kind": "plenary", "newslot-label": "Closing circle"})
    with app.app_context():
        closing = db.session.scalar(sa.select(Slot).where(Slot.label == "Closing circle"))
    edited = client.post(f"/e/{slug}/slots/{closing.id}", data={
        f"slot{closing.id}-day": "2026-11-23", f"slot{closing.id}-start": "15:00",
        f"slot{closing.id}-end": "16:00", f"slot{closing.id}-kind": "plenary",
        f"slot{closing.id}-label": "Closing"})
    moved = fetch(Slot, closing.id)
    removed = client.post(f"/e/{slug}/slots/{closing.id}/delete")

    assert [added.status_code, edited.status_code, removed.status_code] == [302, 302, 302]
    assert str(closing.starts_at) == "2026-11-23 14:00:00"
    assert (str(moved.starts_at), moved.label) == ("2026-11-23 15:00:00", "Closing")
    assert fetch(Slot, closing.id) is None


def test_add_overlapping_slot_keeps_typed_values(client, world):
    login_as(client, world.organizer)

    response = client.post(f"/e/{world.event.slug}/slots", data={
        "newslot-day": "2026-11-23", "newslot-start": "10:30", "newslot-end": "11:30",
        "newslot-kind": "session", "newslot-label": "Overlapper"})

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Starts: overlaps" in page
    assert 'value="10:30"' in page and 'value="Overlapper"' in page


def test_deleting_a_room_sends_its_sessions_back_to_the_marketplace(client, world, make_topic,
                                                                   place, fetch):
    topic = make_topic(world.event, world.participant)
    place(topic, world.participant, world.rooms["Atrium"], world.sessions[0])
    login_as(client, world.organizer)

    client.post(f"/e/{world.event.slug}/rooms/{world.rooms['Atrium']}/delete")

    assert fetch(Topic, topic.id).room_id is None


# Settings: people ------------------------------------------------------------------------------

def test_organizer_promotes_and_demotes_members(client, app, world):
    login_as(client, world.organizer)
    url = f"/e/{world.event.slug}/members/{world.participant.id}/role"

    promoted = client.post(url, data={"role": "organizer"})
    role_after_promotion = role_of(app, world.event, world.participant)
    demoted = client.post(url, data={"role": "participant"})

    assert (promoted.status_code, demoted.status_code) == (302, 302)
    assert role_after_promotion == "organizer"
    assert role_of(app, world.event, world.participant) == "participant"


def test_last_organizer_cannot_step_down(client, app, world):
    login_as(client, world.organizer)

    response = client.post(f"/e/{world.event.slug}/members/{world.organizer.id}/role",
                           data={"role": "participant"}, follow_redirects=True)

    assert "An event needs at least one organizer." in response.get_data(as_text=True)
    assert role_of(app, world.event, world.organizer) == "organizer"


def _remove_form(page: str, action: str) -> str | None:
    """The <details> that holds the form posting to `action`: the confirmation step."""
    for block in re.findall(r'<details class="danger-zone member-remove">(.*?)</details>', page,
                            re.S):
        if f'action="{action}"' in block:
            return block
    return None


def test_organizer_removes_a_member_after_opening_the_confirmation(client, app, world):
    app.config["WTF_CSRF_ENABLED"] = True
    login_as(client, world.organizer)
    action = f"/e/{world.event.slug}/members/{world.participant.id}/remove"
    page = client.get(settings_url(world.event)).get_data(as_text=True)
    step = _remove_form(page, action)
    token = re.search(r'name="csrf_token" value="([^"]+)"', step).group(1)

    refused = client.post(action)
    removed = client.post(action, data={"csrf_token": token}, follow_redirects=True)

    assert "<summary>Remove Pat…</summary>" in step
    assert "Their topics and notes stay" in step
    assert '<button type="submit" class="btn danger small">Remove from the event</button>' in step
    assert refused.status_code == 400
    assert removed.status_code == 200
    assert "Pat was removed from the event." in removed.get_data(as_text=True)
    assert role_of(app, world.event, world.participant) is None
    after = removed.get_data(as_text=True)
    assert _remove_form(after, action) is None and "Pat" not in after.split('id="members"')[1] \
        .split("</ul>")[0]


def test_the_last_organizer_is_told_why_they_cannot_leave(client, app, world):
    login_as(client, world.organizer)
    action = f"/e/{world.event.slug}/members/{world.organizer.id}/remove"
    page = client.get(settings_url(world.event)).get_data(as_text=True)

    response = client.post(action, follow_redirects=True)

    assert "<summary>Leave the event…</summary>" in _remove_form(page, action)
    assert "An event needs at least one organizer: make someone else an organizer first." \
        in response.get_data(as_text=True)
    assert role_of(app, world.event, world.organizer) == "organizer"


def test_a_co_organizer_who_leaves_lands_on_the_home_page_and_the_creator_stays(client, app,
                                                                               world):
    login_as(client, world.organizer)
    client.post(f"/e/{world.event.slug}/members/{world.participant.id}/role",
                data={"role": "organizer"})
    login_as(client, world.participant)
    page = client.get(settings_url(world.event)).get_data(as_text=True)
    creator = f"/e/{world.event.slug}/members/{world.organizer.id}/remove"

    refused = client.post(creator, follow_redirects=True)
    left = client.post(f"/e/{world.event.slug}/members/{world.participant.id}/remove")

    assert _remove_form(page, creator) is None  # not offered: only the creator can leave
    assert "The event&#39;s creator stays an organizer" in refused.get_data(as_text=True)
    assert (left.status_code, left.location) == (302, "/")
    assert role_of(app, world.event, world.participant) is None
    assert "You left Drupal CXO." in client.get("/").get_data(as_text=True)
    assert client.get(settings_url(world.event)).status_code == 403


def test_a_participant_cannot_remove_anyone(client, app, world, quick_user, join):
    other = quick_user("Bo")
    join(world.event, other)
    login_as(client, world.participant)

    response = client.post(f"/e/{world.event.slug}/members/{other.id}/remove")

    assert response.status_code == 403
    assert role_of(app, world.event, other) == "participant"


def test_adding_an_organizer_by_email_answers_the_same_whether_or_not_the_account_exists(
        client, app, world, make_user):
    """The form invites (role organizer): the page, the message and the members list say
    nothing about whether the address has an account."""
    from openspace.models import MailToken

    app.config.update(MAIL_URL="smtp://127.0.0.1:9", MAIL_FROM="ost@example.org")  # queued
    colleague = make_user(name="Colleague", email="colleague@example.org")
    login_as(client, world.organizer)

    answers = []
    for email in ("nobody@example.org", colleague.email):
        response = client.post(f"/e/{world.event.slug}/organizers", data={"email": email},
                               follow_redirects=True)
        page = response.get_data(as_text=True)
        answers.append((response.status_code, page.replace(email, "EMAIL")
                        .count("The invitation to co-organize is on its way to EMAIL")))

    assert answers == [(200, 1), (200, 1)]
    assert role_of(app, world.event, colleague) is None  # until they open the invitation
    with app.app_context():
        invited = db.session.execute(sa.select(MailToken.email, MailToken.role).where(
            MailToken.event_id == world.event.id).order_by(MailToken.id)).all()
    assert invited == [("nobody@example.org", "organizer"), ("colleague@example.org", "organizer")]


def test_a_co_organizer_is_not_offered_to_demote_the_events_creator(client, app, world):
    login_as(client, world.organizer)
    client.post(f"/e/{world.event.slug}/members/{world.participant.id}/role",
                data={"role": "organizer"})
    as_creator = client.get(settings_url(world.event)).get_data(as_text=True)
    login_as(client, world.participant)
    as_co = client.get(settings_url(world.event)).get_data(as_text=True)
    demoted = client.post(f"/e/{world.event.slug}/members/{world.organizer.id}/role",
                          data={"role": "participant"}, follow_redirects=True)

    creator_form = f'/e/{world.event.slug}/members/{world.organizer.id}/role'
    assert creator_form not in as_co and "Created the event" in as_co
    assert creator_form in as_creator and "Created the event" not in as_creator
    assert "The event&#39;s creator stays an organizer" in demoted.get_data(as_text=True)
    assert role_of(app, world.event, world.organizer) == "organizer"


def test_without_mail_the_settings_say_how_to_make_a_member_an_organizer(client, world,
                                                                         make_user):
    colleague = make_user(name="Colleague", email="colleague@example.org")
    login_as(client, world.organizer)

    page = client.get(settings_url(world.event)).get_data(as_text=True)
    refused = [client.post(f"/e/{world.event.slug}/organizers", data={"email": email})
               for email in ("nobody@example.org", colleague.email)]

    assert "make a member an organizer in the list above" in page
    assert f'action="/e/{world.event.slug}/organizers"' not in page
    assert [r.status_code for r in refused] == [503, 503]


def test_settings_link_shows_in_subnav_for_organizers_only(client, world):
    login_as(client, world.organizer)
    as_organizer = client.get(f"/e/{world.event.slug}").get_data(as_text=True)
    login_as(client, world.participant)
    as_participant = client.get(f"/e/{world.event.slug}").get_data(as_text=True)

    assert f'href="/e/{world.event.slug}/settings"' in as_organizer
    assert f'href="/e/{world.event.slug}/settings"' not in as_participant
