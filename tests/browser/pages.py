"""The pages of the demo event, by the role that opens them: shared by the accessibility test
(tests/browser/test_accessibility.py) and `make screenshots` (tests/browser/screenshots.py).

The server sends mail to a real SMTP server started by setup(), so the pages that send mail
show their forms, and the pages behind mailed links (a password reset, a sign-in link, an
invitation) are opened with links taken from the mails that arrived."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import requests

from tests.browser.conftest import settle, watch_network
from tests.live import DEMO_PASSWORD, wait_for
from tests.mail.smtp import SmtpServer, link_in

SLUG = "drupal-cxo-brussels"
ORGANIZER = "kristof@example.org"
PARTICIPANT = "roel@example.org"  # convenes the first placed topic
ADMIN = "dan@example.org"  # made an instance admin by setup()
ROLES = {"anonymous": None, "participant": PARTICIPANT, "organizer": ORGANIZER, "admin": ADMIN}


@dataclass(frozen=True)
class Page:
    name: str
    # {slug}, {topic} (a placed topic), {room}/{slot} (a free session cell), {event_id},
    # {account_id} (the participant's), {reset}, {signin}, {invite} (mailed links' secrets)
    path: str
    roles: tuple[str, ...] = ("anonymous", "participant", "organizer")
    upload: bool = False  # the page a form upload of the event's JSON export answers


EVERYONE = ("anonymous", "participant", "organizer")
MEMBERS = ("participant", "organizer")
ORGANIZERS = ("organizer",)
LOGGED_IN = ("participant", "organizer", "admin")

# Every page type an attendee, an organizer or an instance admin opens.
PAGES = [
    Page("home", "/", EVERYONE),
    Page("board", "/e/{slug}", EVERYONE + ("admin",)),
    Page("marketplace", "/e/{slug}/marketplace", EVERYONE),
    Page("marketplace-tag", "/e/{slug}/marketplace?tag=tools&propose=1", MEMBERS),
    Page("now", "/e/{slug}/now", EVERYONE),
    Page("rooms-now", "/e/{slug}/rooms-now", ORGANIZERS),
    Page("mine", "/e/{slug}/me", MEMBERS),
    Page("more", "/e/{slug}/more", EVERYONE),
    Page("cell", "/e/{slug}/cells/{room}/{slot}", MEMBERS),
    Page("topic", "/t/{topic}", EVERYONE),
    Page("topic-edit", "/t/{topic}/edit", MEMBERS),
    Page("calendar", "/e/{slug}/calendar", MEMBERS),
    Page("summary", "/e/{slug}/summary", ORGANIZERS),
    Page("projector", "/e/{slug}/projector", EVERYONE),
    Page("pitches", "/e/{slug}/pitches", EVERYONE),
    Page("news", "/e/{slug}/announcements", ORGANIZERS),
    Page("notes-status", "/e/{slug}/notes-status", ORGANIZERS),
    Page("actions", "/e/{slug}/actions", MEMBERS),
    Page("print", "/e/{slug}/print", ORGANIZERS),
    Page("print-signs", "/e/{slug}/print/signs", ORGANIZERS),
    Page("print-cards", "/e/{slug}/print/cards", ORGANIZERS),
    Page("advisor", "/e/{slug}/advisor", ORGANIZERS),
    Page("settings", "/e/{slug}/settings", ORGANIZERS),
    Page("invitations", "/e/{slug}/invitations", ORGANIZERS),
    Page("new-event", "/events/new", ORGANIZERS),
    Page("account", "/account", LOGGED_IN),
    Page("join", "/e/{slug}/join", ("anonymous",)),
    Page("login", "/login", ("anonymous",)),
    Page("register", "/register", ("anonymous",)),
    Page("forgot", "/password/forgot", ("anonymous",)),
    Page("signin-link", "/login/link", ("anonymous",)),
    Page("reset", "/password/reset/{reset}", ("anonymous",)),
    Page("signin", "/login/link/{signin}", ("anonymous",)),
    Page("invitation", "/invitations/{invite}", ("anonymous",)),
    Page("restore", "/events/restore", ORGANIZERS),
    Page("restore-preview", "/events/restore", ORGANIZERS, upload=True),
    Page("admin", "/admin", ("admin",)),
    Page("admin-events", "/admin/events", ("admin",)),
    Page("admin-event", "/admin/events/{event_id}", ("admin",)),
    Page("admin-accounts", "/admin/accounts", ("admin",)),
    Page("admin-account", "/admin/accounts/{account_id}", ("admin",)),
    Page("admin-mail", "/admin/mail", ("admin",)),
    Page("admin-log", "/admin/log", ("admin",)),
]


def show_notes_editor(page) -> None:
    """The notes editor starts when the notes come near the screen (assets/notes.js): scroll
    to them, wait for it, and back to the top, so a page is checked and shown as it is used."""
    notes = page.locator("[data-note]")
    if not notes.count():
        return
    notes.scroll_into_view_if_needed()
    page.locator("[data-note-editor] .cm-editor").wait_for(timeout=15000)
    settle(page)
    page.evaluate("window.scrollTo(0, 0)")


def pages_for(role: str) -> list[Page]:
    return [page for page in PAGES if role in page.roles]


def setup(server) -> SmtpServer:
    """The demo event plus an instance admin, on a LiveServer not started yet, which sends
    its mail to the SMTP server returned (running until the process ends: a daemon thread)."""
    smtp = SmtpServer().start()
    server.env.update(OPENSPACE_MAIL_URL=smtp.url, OPENSPACE_MAIL_FROM="openspace@example.org")
    server.prepare(("db", "upgrade"), ("demo",), ("admin", "add", ADMIN))
    return smtp


_values: dict[str, dict] = {}  # per server: its links are asked for once


def ids(base: str, smtp: SmtpServer | None = None) -> dict:
    """A placed topic of the first placed cell and a free session cell of the demo board; with
    the server's SMTP server, also the admin pages' ids and the secrets of mailed links."""
    if base in _values:
        return _values[base]
    board = requests.get(f"{base}/api/v1/events/{SLUG}/board", timeout=10).json()
    placed = next(t for t in board["topics"] if t["room_id"] is not None)
    taken = {(t["room_id"], t["slot_id"]) for t in board["topics"] if t["room_id"]}
    room, slot = next((r["id"], s["id"]) for s in board["slots"] if s["kind"] == "session"
                      for r in board["rooms"] if (r["id"], s["id"]) not in taken)
    values = {"slug": SLUG, "topic": placed["id"], "room": room, "slot": slot}
    admin = _logged_in(base, ADMIN)
    values["event_id"] = re.search(r"/admin/events/(\d+)",
                                   admin.get(f"{base}/admin/events?q={SLUG}").text).group(1)
    values["account_id"] = re.search(r"/admin/accounts/(\d+)", admin.get(
        f"{base}/admin/accounts?q={PARTICIPANT}").text).group(1)
    if smtp is not None:
        values.update(_mailed_links(base, smtp))
    _values[base] = values
    return values


def _csrf(session: requests.Session, url: str) -> str:
    page = session.get(url, timeout=10).text
    return page.split('name="csrf-token" content="')[1].split('"')[0]


def _logged_in(base: str, email: str) -> requests.Session:
    session = requests.Session()
    session.post(f"{base}/login", timeout=10, data={
        "email": email, "password": DEMO_PASSWORD, "csrf_token": _csrf(session, f"{base}/login")})
    return session


GUEST = "guest@example.org"


def _mailed_links(base: str, smtp: SmtpServer) -> dict:
    """A reset and a sign-in link for the participant and an invitation for a newcomer, as
    the mails that the server's worker sent bring them."""
    anonymous = requests.Session()
    for path in ("/password/forgot", "/login/link"):
        anonymous.post(base + path, timeout=10, data={
            "email": PARTICIPANT, "csrf_token": _csrf(anonymous, base + path)})
    organizer = _logged_in(base, ORGANIZER)
    invitations = f"{base}/e/{SLUG}/invitations"
    organizer.post(invitations, timeout=10, data={
        "email": GUEST, "role": "participant", "csrf_token": _csrf(organizer, invitations)})
    wait_for(lambda: len(smtp.inbox.to(PARTICIPANT)) >= 2 and smtp.inbox.to(GUEST),
             timeout=60)
    secrets = {}
    for mail in smtp.inbox.to(PARTICIPANT) + smtp.inbox.to(GUEST):
        path = link_in(mail, base)
        kind = {"/password/reset/": "reset", "/login/link/": "signin",
                "/invitations/": "invite"}[path[:path.rindex("/") + 1]]
        secrets[kind] = path.rsplit("/", 1)[1]
    return secrets


def url(base: str, page: Page, values: dict) -> str:
    return base + page.path.format(**values)


def open_page(page, base: str, spec: Page, values: dict):
    """Open the page in the Playwright page as a person would; returns the HTTP response.
    An upload page is the answer to uploading the demo event's JSON export for a new address
    (the preview of what would be restored)."""
    watch_network(page)
    if not spec.upload:
        response = page.goto(url(base, spec, values))
        settle(page)
        return response
    export = page.request.get(f"{base}/e/{SLUG}/summary.json")
    page.goto(url(base, spec, values))
    settle(page)
    page.set_input_files("input[type=file]", files=[{
        "name": f"{SLUG}.json", "mimeType": "application/json", "buffer": export.body()}])
    page.fill("input[name=slug]", "restored-demo")
    with page.expect_navigation() as navigation:
        page.locator("main form button[type=submit]").last.click()
    settle(page)
    assert json.loads(export.body())  # the file was the export, not an error page
    return navigation.value
