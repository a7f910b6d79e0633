"""Mail is bounded per address and per user (docs/security.md section 11): nobody's inbox is
flooded through us, whatever asks for the mails, and an organizer's invitations are counted
whichever page sends them; while a venue behind one address can still ask for its links."""

from __future__ import annotations

from openspace.domain.ratelimit import LIMITS
from tests.security.test_abuse_limits import VENUE, _from, no_refill  # noqa: F401 (autouse)
from tests.web.conftest import login_as


def test_one_address_gets_a_few_mails_whoever_asks_and_whether_or_not_it_has_an_account(
        app, smtp, deliver, make_user_in):
    make_user_in(app, "ada@example.org")
    burst = LIMITS["mail_address"].burst
    for email in ("ada@example.org", "nobody@example.org"):
        answers = [app.test_client().post(path, data={"email": email},
                                          **_from(f"198.51.100.{n}")).status_code
                   for n, path in enumerate(["/password/forgot", "/login/link"] * burst)]
        assert answers == [302] * burst + [429] * burst, email
    deliver()
    assert len(smtp.inbox.to("ada@example.org")) == burst


def test_asking_for_links_is_bounded_per_client_address(app, smtp, make_user_in):
    burst = LIMITS["mail_request"].burst
    client = app.test_client()
    answers = [client.post("/login/link", data={"email": f"p{n}@example.org"},
                           **_from(VENUE)).status_code for n in range(burst + 1)]
    assert answers == [302] * burst + [429]
    assert app.test_client().post("/login/link", data={"email": "q@example.org"},
                                  **_from("198.51.100.7")).status_code == 302


def test_a_venue_behind_one_address_adds_its_emails_each_on_their_own_budget(
        app, smtp, deliver, quick_user_in):
    """Quick-join attendees keep their accounts by adding an address: per person, not per
    router, or the first thirty of a room would lock out everyone else."""
    count = LIMITS["mail_request"].burst + 5
    for n in range(count):
        phone = app.test_client()
        login_as(phone, quick_user_in(app, f"Attendee {n}"))
        response = phone.post("/account/email", data={"email": f"a{n}@example.org"},
                              **_from(VENUE))
        assert response.status_code == 302, n
    assert deliver() == count


def test_one_person_asking_again_and_again_is_bounded(app, smtp, quick_user_in):
    phone = app.test_client()
    login_as(phone, quick_user_in(app, "Quinn"))
    burst = LIMITS["mail_request"].burst
    answers = [phone.post("/account/email", data={"email": f"q{n}@example.org"},
                          **_from(f"198.51.100.{n % 200}")).status_code
               for n in range(burst + 1)]
    assert answers == [302] * burst + [429]


def test_invitations_are_bounded_per_organizer_whichever_page_sends_them(
        app, smtp, world_of):
    organizer, event = world_of(app)
    client = app.test_client()
    login_as(client, organizer)
    burst = LIMITS["invite"].burst
    for n in range(burst - 1):
        assert client.post(f"/e/{event.slug}/invitations",
                           data={"email": f"i{n}@example.org"}).status_code == 302
    assert client.post(f"/e/{event.slug}/organizers",
                       data={"email": "last@example.org"}).status_code == 302
    assert client.post(f"/e/{event.slug}/organizers",
                       data={"email": "more@example.org"}).status_code == 429
    assert client.post(f"/e/{event.slug}/invitations",
                       data={"email": "more@example.org"}).status_code == 429
