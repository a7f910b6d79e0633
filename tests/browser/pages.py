"""The pages of the demo event, by the role that opens them: shared by the accessibility test
(tests/browser/test_accessibility.py) and `make screenshots` (tests/browser/screenshots.py)."""

from __future__ import annotations

from dataclasses import dataclass

import requests

SLUG = "drupal-cxo-brussels"
ORGANIZER = "kristof@example.org"
PARTICIPANT = "roel@example.org"  # convenes the first placed topic
ADMIN = "dan@example.org"  # made an instance admin by setup()
ROLES = {"anonymous": None, "participant": PARTICIPANT, "organizer": ORGANIZER, "admin": ADMIN}


@dataclass(frozen=True)
class Page:
    name: str
    path: str  # {slug}, {topic} (a placed topic), {room}/{slot} (a free session cell)
    roles: tuple[str, ...] = ("anonymous", "participant", "organizer")


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
    Page("admin", "/admin", ("admin",)),
    Page("admin-events", "/admin/events", ("admin",)),
    Page("admin-accounts", "/admin/accounts", ("admin",)),
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
    page.wait_for_load_state("networkidle")
    page.evaluate("window.scrollTo(0, 0)")


def pages_for(role: str) -> list[Page]:
    return [page for page in PAGES if role in page.roles]


def setup(server) -> None:
    """The demo event plus an instance admin, on a LiveServer not started yet."""
    server.command("db", "upgrade")
    server.command("demo")
    server.command("admin", "add", ADMIN)


def ids(base: str) -> dict:
    """A placed topic of the first placed cell and a free session cell of the demo board."""
    board = requests.get(f"{base}/api/v1/events/{SLUG}/board", timeout=10).json()
    placed = next(t for t in board["topics"] if t["room_id"] is not None)
    taken = {(t["room_id"], t["slot_id"]) for t in board["topics"] if t["room_id"]}
    room, slot = next((r["id"], s["id"]) for s in board["slots"] if s["kind"] == "session"
                      for r in board["rooms"] if (r["id"], s["id"]) not in taken)
    return {"slug": SLUG, "topic": placed["id"], "room": room, "slot": slot}


def url(base: str, page: Page, values: dict) -> str:
    return base + page.path.format(**values)
