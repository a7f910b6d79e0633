"""The authorization matrix: every HTTP route and socket event, who may use it.

The roles are those of tests/security/conftest.py, on a *private* event (the strict case:
non-members must not even learn it exists). `allowed` is the set of roles that succeed; every
other role is refused (401/403/404, or a redirect to the login page) and changes nothing.
A route or socket event missing here fails test_authz_matrix.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

from tests.security.conftest import PASSWORD, ROLES, jpeg_bytes

A, OUT, OTH, P, C, ORG, ADM = ROLES
EVERYONE = frozenset(ROLES)
LOGGED_IN = EVERYONE - {A}
MEMBERS = frozenset({P, C, ORG})
EDITORS = frozenset({C, ORG})  # the topic's convener and the organizers
ORGANIZERS = frozenset({ORG})
ADMINS = frozenset({ADM})  # instance admins: /admin (a member of no event)
NOBODY = frozenset()

W = SimpleNamespace  # the world built by conftest.build_world


@dataclass(frozen=True)
class Route:
    path: Callable[[W], str]
    allowed: frozenset
    data: Callable[[W, str], dict] | None = None  # form fields, or the JSON body for the API
    files: bool = False  # multipart with a photo
    upload: bool = False  # multipart with the world's event export (restoring from the web)
    query: str = ""
    note: str = ""
    # Success itself ends on the login page (logging out everywhere).
    to_login: bool = False
    # An allowed role may get this answer from the action's own rules (not authorization): the
    # API's check-in answers 409 not_running, since the world's sessions are not on now.
    conflict: str | None = None


@dataclass(frozen=True)
class Event:
    data: Callable[[W], object]
    allowed: frozenset
    listen: bool = field(default=False)  # a read that joins a room: check what it then receives


def _unique(role: str, what: str) -> str:
    return f"{role}-{what}@example.org"


def _swap(w: W) -> dict:
    """The advisor's swap of the world's two placed topics (the convener's), as the API takes it."""
    return {"kind": "swap", "topic_id": w.placed, "with_topic_id": w.second,
            "from": {"room_id": w.rooms[0], "slot_id": w.slots[0]},
            "to": {"room_id": w.rooms[1], "slot_id": w.slots[1]}}


def _swap_token(w: W) -> str:
    """The same swap as the advisor page's form sends it."""
    return f"swap.{w.placed}.{w.rooms[0]}.{w.slots[0]}.{w.rooms[1]}.{w.slots[1]}.{w.second}"


def _slot_form(prefix: str, start: str, end: str) -> Callable[[W, str], dict]:
    return lambda w, r: {f"{prefix}-day": "2026-11-23", f"{prefix}-start": start,
                         f"{prefix}-end": end, f"{prefix}-kind": "session",
                         f"{prefix}-label": ""}


SETTINGS = {"name": "Renamed", "theme": "", "venue": "", "timezone": "Europe/Brussels",
            "starts_on": "2026-11-23", "ends_on": "", "hashtag": "", "visibility": "private"}

ROUTES: dict[tuple[str, str], Route] = {
    # Pages: events, joining ---------------------------------------------------------------
    ("events.index", "GET"): Route(lambda w: "/", EVERYONE),
    ("events.find_by_code", "GET"): Route(lambda w: f"/join?code={w.join_code}", EVERYONE,
                                          note="the code holder may find the event"),
    ("events.create", "GET"): Route(lambda w: "/events/new", LOGGED_IN),
    ("events.create", "POST"): Route(lambda w: "/events/new", LOGGED_IN, lambda w, r: {
        **SETTINGS, "name": f"New by {r}", "slug": f"new-{r}", "visibility": "public"}),
    ("events.settings", "GET"): Route(lambda w: f"/e/{w.slug}/settings", ORGANIZERS),
    ("events.update", "POST"): Route(lambda w: f"/e/{w.slug}/settings", ORGANIZERS,
                                     lambda w, r: SETTINGS),
    ("events.regenerate_code", "POST"): Route(lambda w: f"/e/{w.slug}/join-code", ORGANIZERS),
    ("events.add_room", "POST"): Route(lambda w: f"/e/{w.slug}/rooms", ORGANIZERS,
                                       lambda w, r: {"newroom-name": "Cellar",
                                                     "newroom-capacity": "5"}),
    ("events.update_room", "POST"): Route(
        lambda w: f"/e/{w.slug}/rooms/{w.rooms[2]}", ORGANIZERS,
        lambda w, r: {f"room{w.rooms[2]}-name": "Attic", f"room{w.rooms[2]}-capacity": "4"}),
    ("events.delete_room", "POST"): Route(lambda w: f"/e/{w.slug}/rooms/{w.rooms[2]}/delete",
                                          ORGANIZERS),
    ("events.add_slot", "POST"): Route(lambda w: f"/e/{w.slug}/slots", ORGANIZERS,
                                       _slot_form("newslot", "15:00", "16:00")),
    ("events.update_slot", "POST"): Route(
        lambda w: f"/e/{w.slug}/slots/{w.slots[2]}", ORGANIZERS,
        lambda w, r: _slot_form(f"slot{w.slots[2]}", "16:00", "17:00")(w, r)),
    ("events.delete_slot", "POST"): Route(lambda w: f"/e/{w.slug}/slots/{w.slots[2]}/delete",
                                          ORGANIZERS),
    ("events.set_role", "POST"): Route(
        lambda w: f"/e/{w.slug}/members/{w.users[P][0]}/role", ORGANIZERS,
        lambda w, r: {"role": "organizer"}),
    ("events.remove_member", "POST"): Route(
        lambda w: f"/e/{w.slug}/members/{w.users[P][0]}/remove", ORGANIZERS),
    ("events.add_organizer", "POST"): Route(lambda w: f"/e/{w.slug}/organizers", ORGANIZERS,
                                            lambda w, r: {"email": w.users[P][1]}),
    # Pages: accounts ---------------------------------------------------------------------
    ("auth.register", "GET"): Route(lambda w: "/register", EVERYONE),
    ("auth.register", "POST"): Route(lambda w: "/register", EVERYONE, lambda w, r: {
        "name": "New", "email": _unique(r, "new"), "password": PASSWORD}),
    ("auth.login", "GET"): Route(lambda w: "/login", EVERYONE),
    ("auth.login", "POST"): Route(lambda w: "/login", EVERYONE, lambda w, r: {
        "email": w.users[r if r != A else OUT][1], "password": PASSWORD}),
    ("auth.logout", "POST"): Route(lambda w: "/logout", EVERYONE),
    ("auth.account", "GET"): Route(lambda w: "/account", LOGGED_IN),
    ("auth.update_profile", "POST"): Route(lambda w: "/account/profile", LOGGED_IN,
                                           lambda w, r: {"name": "Renamed"}),
    ("auth.add_credentials", "POST"): Route(
        lambda w: "/account/credentials", NOBODY,
        lambda w, r: {"email": _unique(r, "creds"), "password": PASSWORD},
        note="only password-less (quick-join) accounts; every world user has a password"),
    ("auth.change_password", "POST"): Route(lambda w: "/account/password", LOGGED_IN,
                                            lambda w, r: {"current_password": PASSWORD,
                                                          "new_password": "another password"}),
    ("auth.create_token", "POST"): Route(lambda w: "/account/tokens", LOGGED_IN,
                                         lambda w, r: {"label": "laptop"}),
    ("auth.logout_everywhere", "POST"): Route(lambda w: "/account/logout-everywhere",
                                              LOGGED_IN, to_login=True),
    ("auth.quick_join", "GET"): Route(lambda w: f"/e/{w.slug}/join?code={w.join_code}",
                                      EVERYONE, note="the code is the invitation"),
    ("auth.quick_join", "POST"): Route(lambda w: f"/e/{w.slug}/join", EVERYONE,
                                       lambda w, r: {"join_code": w.join_code, "name": "Quick"}),
    # Pages: the board ------------------------------------------------------------------------
    ("board.show", "GET"): Route(lambda w: f"/e/{w.slug}", MEMBERS),
    ("board.live", "GET"): Route(lambda w: f"/e/{w.slug}/live", MEMBERS),
    ("board.now", "GET"): Route(lambda w: f"/e/{w.slug}/now", MEMBERS),
    ("board.marketplace", "GET"): Route(lambda w: f"/e/{w.slug}/marketplace", MEMBERS),
    ("board.more", "GET"): Route(lambda w: f"/e/{w.slug}/more", MEMBERS),
    ("board.my_agenda", "GET"): Route(lambda w: f"/e/{w.slug}/me", MEMBERS),
    ("board.propose", "POST"): Route(lambda w: f"/e/{w.slug}/topics", MEMBERS,
                                     lambda w, r: {"title": "Proposed", "description": "",
                                                   "tags": ""}),
    ("board.set_state", "POST"): Route(lambda w: f"/e/{w.slug}/state", ORGANIZERS,
                                       lambda w, r: {"state": "locked"}),
    ("board.cell", "GET"): Route(lambda w: f"/e/{w.slug}/cells/{w.rooms[0]}/{w.slots[2]}",
                                 MEMBERS),
    ("board.cell", "POST"): Route(lambda w: f"/e/{w.slug}/cells/{w.rooms[0]}/{w.slots[2]}",
                                  EDITORS, lambda w, r: {"topic_id": str(w.topic)}),
    ("projector.show", "GET"): Route(lambda w: f"/e/{w.slug}/projector", MEMBERS),
    # The opening marketplace's pitch queue: "Placed" announces now, "Second" waits (both the
    # convener's); members line up with a new title, editors with a topic of theirs ----------
    ("board.pitches_page", "GET"): Route(lambda w: f"/e/{w.slug}/pitches", MEMBERS),
    ("board.pitch_join", "POST"): Route(lambda w: f"/e/{w.slug}/pitches", MEMBERS,
                                        lambda w, r: {"title": f"Pitched by {r}"}),
    ("board.pitch_leave", "POST"): Route(
        lambda w: f"/e/{w.slug}/pitches/{w.pitch_waiting}/leave", EDITORS),
    ("board.pitch_done", "POST"): Route(
        lambda w: f"/e/{w.slug}/pitches/{w.pitch_current}/done", EDITORS),
    ("board.pitch_next", "POST"): Route(lambda w: f"/e/{w.slug}/pitches/next", ORGANIZERS,
                                        lambda w, r: {"current_id": str(w.pitch_current)}),
    ("board.pitch_settings", "POST"): Route(lambda w: f"/e/{w.slug}/pitches/settings",
                                            ORGANIZERS, lambda w, r: {"seconds": "45"}),
    ("projector.announcements_page", "GET"): Route(lambda w: f"/e/{w.slug}/announcements",
                                                   MEMBERS, note="members read the news"),
    ("projector.announcements_page", "POST"): Route(lambda w: f"/e/{w.slug}/announcements",
                                                    ORGANIZERS, lambda w, r: {"text": "Cake"}),
    ("projector.delete_announcement", "POST"): Route(
        lambda w: f"/e/{w.slug}/announcements/{w.announcement}/delete", ORGANIZERS),
    ("projector.set_mode", "POST"): Route(lambda w: f"/e/{w.slug}/projector/mode", ORGANIZERS,
                                          lambda w, r: {"mode": "news"}),
    ("projector.set_join_address", "POST"): Route(
        lambda w: f"/e/{w.slug}/projector/join-address", ORGANIZERS,
        lambda w, r: {"address": ""}, note="an address of this machine, or '' for automatic"),
    # Pages: topics -------------------------------------------------------------------------
    ("topics.show", "GET"): Route(lambda w: f"/t/{w.placed}", MEMBERS),
    ("topics.edit", "GET"): Route(lambda w: f"/t/{w.placed}/edit", EDITORS),
    ("topics.edit", "POST"): Route(lambda w: f"/t/{w.placed}/edit", EDITORS, lambda w, r: {
        "title": "Edited", "description": "", "tags": ""}),
    ("topics.interest", "POST"): Route(lambda w: f"/t/{w.placed}/interest", MEMBERS,
                                       lambda w, r: {"interested": "1"}),
    ("topics.place", "POST"): Route(lambda w: f"/t/{w.topic}/place", EDITORS,
                                    lambda w, r: {"cell": f"{w.rooms[0]}:{w.slots[2]}"}),
    ("topics.release", "POST"): Route(lambda w: f"/t/{w.placed}/release", EDITORS),
    ("topics.withdraw", "POST"): Route(lambda w: f"/t/{w.topic}/withdraw", EDITORS),
    ("topics.swap", "POST"): Route(lambda w: f"/t/{w.placed}/swap", ORGANIZERS,
                                   lambda w, r: {"with_topic": str(w.second)}),
    ("topics.merge", "GET"): Route(lambda w: f"/t/{w.topic}/merge?into={w.placed}", ORGANIZERS,
                                   note="the confirmation step"),
    ("topics.merge", "POST"): Route(lambda w: f"/t/{w.topic}/merge", ORGANIZERS,
                                    lambda w, r: {"into": str(w.placed), "confirm": "1"}),
    ("topics.unmerge", "POST"): Route(lambda w: f"/t/{w.merged}/unmerge", ORGANIZERS,
                                      lambda w, r: {"undo": w.undo_token},
                                      note="the merge's signed undo"),
    # Pages: notes, photos, action items ------------------------------------------------------
    ("notes.actions_page", "GET"): Route(lambda w: f"/e/{w.slug}/actions", MEMBERS),
    ("notes.actions_csv", "GET"): Route(lambda w: f"/e/{w.slug}/actions.csv", MEMBERS),
    # The installable app: the same for everyone (the start page sends each viewer to their own
    # last event, or the event list; the worker and offline page hold nothing private) --------
    ("pwa.manifest", "GET"): Route(lambda w: "/manifest.webmanifest", EVERYONE),
    ("pwa.start", "GET"): Route(lambda w: "/app", EVERYONE),
    ("pwa.offline", "GET"): Route(lambda w: "/offline", EVERYONE),
    ("pwa.service_worker", "GET"): Route(lambda w: "/sw.js", EVERYONE),
    # The law of two feet (the world's sessions are not on now: members get "not on now") --
    ("board.check_in", "POST"): Route(lambda w: f"/t/{w.placed}/here", MEMBERS),
    ("board.check_out", "POST"): Route(lambda w: f"/e/{w.slug}/here/leave", MEMBERS),
    ("board.rooms_now", "GET"): Route(lambda w: f"/e/{w.slug}/rooms-now", ORGANIZERS),
    ("notes.tick_action", "POST"): Route(
        lambda w: f"/e/{w.slug}/actions/tick", frozenset({P, ORG}),
        lambda w, r: {"topic_id": w.placed, "index": "0", "text": "Book the room", "done": "1"},
        note="its owner and the organizers"),
    ("notes.status", "GET"): Route(lambda w: f"/e/{w.slug}/notes-status", ORGANIZERS),
    ("notes.upload_photo", "POST"): Route(lambda w: f"/t/{w.placed}/photos", MEMBERS,
                                          lambda w, r: {"caption": "Flipchart"}, files=True),
    ("notes.photo", "GET"): Route(lambda w: f"/photos/{w.photo}.jpg", MEMBERS),
    ("notes.photo_thumb", "GET"): Route(lambda w: f"/photos/{w.photo}/thumb.jpg", MEMBERS),
    ("notes.delete_photo", "POST"): Route(lambda w: f"/photos/{w.photo}/delete",
                                          frozenset({P, ORG}), note="the uploader, organizers"),
    ("static", "GET"): Route(lambda w: "/static/css/app.css", EVERYONE),
    # Pages: mail (links are capabilities: whoever holds one may use it) ----------------------
    ("auth.forgot_password", "GET"): Route(lambda w: "/password/forgot", EVERYONE),
    ("auth.forgot_password", "POST"): Route(lambda w: "/password/forgot", EVERYONE,
                                            lambda w, r: {"email": w.users[P][1]},
                                            to_login=True, note="'look in your mail'"),
    ("auth.request_signin_link", "GET"): Route(lambda w: "/login/link", EVERYONE),
    ("auth.request_signin_link", "POST"): Route(lambda w: "/login/link", EVERYONE,
                                                lambda w, r: {"email": w.users[P][1]},
                                                to_login=True),
    ("auth.reset_password", "GET"): Route(lambda w: f"/password/reset/{w.reset_token}",
                                          EVERYONE, note="the mailed link is the key"),
    ("auth.reset_password", "POST"): Route(lambda w: f"/password/reset/{w.reset_token}",
                                           EVERYONE, lambda w, r: {"password": PASSWORD}),
    ("auth.signin_link", "GET"): Route(lambda w: f"/login/link/{w.signin_token}", EVERYONE),
    ("auth.signin_link", "POST"): Route(lambda w: f"/login/link/{w.signin_token}", EVERYONE),
    ("auth.add_email", "POST"): Route(
        lambda w: "/account/email", NOBODY, lambda w, r: {"email": _unique(r, "added")},
        note="only accounts without an address (quick join); every world user has one"),
    ("auth.confirm_email", "GET"): Route(lambda w: f"/account/email/{w.confirm_token}",
                                         EVERYONE),
    ("auth.confirm_email", "POST"): Route(lambda w: f"/account/email/{w.confirm_token}",
                                          EVERYONE),
    ("auth.set_notifications", "POST"): Route(lambda w: "/account/notifications", LOGGED_IN,
                                              lambda w, r: {"sessions": "y"}),
    ("auth.invitation", "GET"): Route(lambda w: f"/invitations/{w.invite_token}", EVERYONE),
    ("auth.invitation", "POST"): Route(lambda w: f"/invitations/{w.invite_token}", EVERYONE,
                                       lambda w, r: {"name": "Invited"},
                                       note="joins whoever holds it; a new account if nobody "
                                            "is logged in and the address has none"),
    ("events.invitations_page", "GET"): Route(lambda w: f"/e/{w.slug}/invitations",
                                              ORGANIZERS),
    ("events.invite", "POST"): Route(lambda w: f"/e/{w.slug}/invitations", ORGANIZERS,
                                     lambda w, r: {"email": "new@example.org",
                                                   "role": "participant"}),
    ("events.revoke_invitation", "POST"): Route(
        lambda w: f"/e/{w.slug}/invitations/{w.invitation}/revoke", ORGANIZERS),
    ("events.restore_page", "GET"): Route(lambda w: "/events/restore", LOGGED_IN),
    ("events.restore", "POST"): Route(lambda w: "/events/restore", LOGGED_IN,
                                      lambda w, r: {"slug": ""}, upload=True),
    ("events.confirm_restore", "POST"): Route(
        lambda w: "/events/restore/confirm", frozenset({P}),
        lambda w, r: {"key": w.restore_key, "slug": ""}, note="only who uploaded it"),
    # Pages: instance admins ------------------------------------------------------------------
    ("admin.index", "GET"): Route(lambda w: "/admin", ADMINS),
    ("admin.events", "GET"): Route(lambda w: "/admin/events?q=secret", ADMINS),
    ("admin.event", "GET"): Route(lambda w: f"/admin/events/{w.event_id}", ADMINS),
    ("admin.export_event", "GET"): Route(lambda w: f"/admin/events/{w.event_id}/export.json",
                                         ADMINS),
    ("admin.delete_event", "POST"): Route(lambda w: f"/admin/events/{w.event_id}/delete",
                                          ADMINS, lambda w, r: {"confirm": w.slug}),
    ("admin.accounts", "GET"): Route(lambda w: "/admin/accounts?q=pat", ADMINS),
    ("admin.account", "GET"): Route(lambda w: f"/admin/accounts/{w.users[P][0]}", ADMINS),
    ("admin.disable_account", "POST"): Route(
        lambda w: f"/admin/accounts/{w.users[P][0]}/disable", ADMINS),
    ("admin.enable_account", "POST"): Route(
        lambda w: f"/admin/accounts/{w.users[P][0]}/enable", ADMINS),
    ("admin.mail_page", "GET"): Route(lambda w: "/admin/mail?status=failed", ADMINS),
    ("admin.retry_mail", "POST"): Route(lambda w: f"/admin/mail/{w.failed_mail}/retry",
                                        ADMINS),
    ("admin.log", "GET"): Route(lambda w: "/admin/log", ADMINS),
    # JSON API ------------------------------------------------------------------------------
    ("api.openapi", "GET"): Route(lambda w: "/api/v1/openapi.json", EVERYONE),
    ("api.csrf_token", "GET"): Route(lambda w: "/api/v1/csrf", EVERYONE),
    ("api.me", "GET"): Route(lambda w: "/api/v1/me", LOGGED_IN),
    ("api.create_user", "POST"): Route(lambda w: "/api/v1/users", EVERYONE, lambda w, r: {
        "email": _unique(r, "api"), "password": PASSWORD, "name": "Api"}),
    ("api.create_token", "POST"): Route(lambda w: "/api/v1/tokens", EVERYONE, lambda w, r: {
        "email": w.users[r if r != A else OUT][1], "password": PASSWORD}),
    ("api.revoke_tokens", "DELETE"): Route(lambda w: "/api/v1/tokens", LOGGED_IN),
    ("api.list_events", "GET"): Route(lambda w: "/api/v1/events", EVERYONE),
    ("api.create_event", "POST"): Route(lambda w: "/api/v1/events", LOGGED_IN, lambda w, r: {
        "name": f"Api {r}", "timezone": "Europe/Brussels", "starts_on": "2026-11-24",
        "visibility": "public"}),
    ("api.get_event", "GET"): Route(lambda w: f"/api/v1/events/{w.slug}", MEMBERS),
    ("api.update_event", "PATCH"): Route(lambda w: f"/api/v1/events/{w.slug}", ORGANIZERS,
                                         lambda w, r: {"board_state": "locked"}),
    ("api.get_board", "GET"): Route(lambda w: f"/api/v1/events/{w.slug}/board", MEMBERS),
    ("api.add_room", "POST"): Route(lambda w: f"/api/v1/events/{w.slug}/rooms", ORGANIZERS,
                                    lambda w, r: {"name": "Cellar"}),
    ("api.update_room", "PATCH"): Route(
        lambda w: f"/api/v1/events/{w.slug}/rooms/{w.rooms[2]}", ORGANIZERS,
        lambda w, r: {"capacity": 9}),
    ("api.delete_room", "DELETE"): Route(
        lambda w: f"/api/v1/events/{w.slug}/rooms/{w.rooms[2]}", ORGANIZERS),
    ("api.add_slot", "POST"): Route(lambda w: f"/api/v1/events/{w.slug}/slots", ORGANIZERS,
                                    lambda w, r: {"starts_at": "2026-11-23T15:00",
                                                  "ends_at": "2026-11-23T16:00",
                                                  "kind": "session"}),
    ("api.update_slot", "PATCH"): Route(
        lambda w: f"/api/v1/events/{w.slug}/slots/{w.slots[2]}", ORGANIZERS,
        lambda w, r: {"label": "Late"}),
    ("api.delete_slot", "DELETE"): Route(
        lambda w: f"/api/v1/events/{w.slug}/slots/{w.slots[2]}", ORGANIZERS),
    ("api.join_event", "POST"): Route(lambda w: f"/api/v1/events/{w.slug}/members", LOGGED_IN,
                                      lambda w, r: {"join_code": w.join_code},
                                      note="the code is the invitation"),
    ("api.list_members", "GET"): Route(lambda w: f"/api/v1/events/{w.slug}/members", MEMBERS),
    ("api.set_role", "PUT"): Route(
        lambda w: f"/api/v1/events/{w.slug}/members/{w.users[P][0]}/role", ORGANIZERS,
        lambda w, r: {"role": "organizer"}),
    ("api.remove_member", "DELETE"): Route(
        lambda w: f"/api/v1/events/{w.slug}/members/{w.users[P][0]}", ORGANIZERS),
    ("api.propose_topic", "POST"): Route(lambda w: f"/api/v1/events/{w.slug}/topics", MEMBERS,
                                         lambda w, r: {"title": "By API"}),
    ("api.get_topic", "GET"): Route(lambda w: f"/api/v1/topics/{w.placed}", MEMBERS),
    ("api.update_topic", "PATCH"): Route(lambda w: f"/api/v1/topics/{w.placed}", EDITORS,
                                         lambda w, r: {"title": "Edited"}),
    ("api.withdraw_topic", "DELETE"): Route(lambda w: f"/api/v1/topics/{w.topic}", EDITORS),
    ("api.place_topic", "PUT"): Route(lambda w: f"/api/v1/topics/{w.topic}/placement", EDITORS,
                                      lambda w, r: {"room_id": w.rooms[0],
                                                    "slot_id": w.slots[2]}),
    ("api.release_topic", "DELETE"): Route(lambda w: f"/api/v1/topics/{w.placed}/placement",
                                           EDITORS),
    ("api.add_interest", "PUT"): Route(lambda w: f"/api/v1/topics/{w.placed}/interest",
                                       MEMBERS),
    ("api.get_here", "GET"): Route(lambda w: f"/api/v1/events/{w.slug}/here", MEMBERS),
    ("api.check_in", "PUT"): Route(lambda w: f"/api/v1/topics/{w.placed}/here", MEMBERS,
                                   conflict="not_running"),
    ("api.check_out", "DELETE"): Route(lambda w: f"/api/v1/events/{w.slug}/here", MEMBERS),
    ("api.remove_interest", "DELETE"): Route(lambda w: f"/api/v1/topics/{w.placed}/interest",
                                             MEMBERS),
    ("api.swap_topics", "POST"): Route(lambda w: f"/api/v1/topics/{w.placed}/swap", ORGANIZERS,
                                       lambda w, r: {"with": w.second}),
    ("api.merge_topics", "POST"): Route(lambda w: f"/api/v1/topics/{w.topic}/merge",
                                        ORGANIZERS, lambda w, r: {"into": w.placed}),
    ("api.get_notes", "GET"): Route(lambda w: f"/api/v1/topics/{w.placed}/notes", MEMBERS),
    ("api.get_pitches", "GET"): Route(lambda w: f"/api/v1/events/{w.slug}/pitches", MEMBERS),
    ("api.join_pitches", "POST"): Route(lambda w: f"/api/v1/events/{w.slug}/pitches", EDITORS,
                                        lambda w, r: {"topic_id": w.topic}),
    ("api.update_pitches", "PATCH"): Route(lambda w: f"/api/v1/events/{w.slug}/pitches",
                                           ORGANIZERS, lambda w, r: {"seconds": 45}),
    ("api.next_pitch", "POST"): Route(lambda w: f"/api/v1/events/{w.slug}/pitches/next",
                                      ORGANIZERS, lambda w, r: {"current_id": w.pitch_current}),
    ("api.finish_pitch", "POST"): Route(
        lambda w: f"/api/v1/events/{w.slug}/pitches/{w.pitch_current}/done", EDITORS),
    ("api.leave_pitches", "DELETE"): Route(
        lambda w: f"/api/v1/events/{w.slug}/pitches/{w.pitch_waiting}", EDITORS),
    # Printed room signs and session cards (organizers), and where their QR codes lead -----
    ("printing.index", "GET"): Route(lambda w: f"/e/{w.slug}/print", ORGANIZERS),
    ("printing.signs", "GET"): Route(lambda w: f"/e/{w.slug}/print/signs?size=a6", ORGANIZERS),
    ("printing.cards", "GET"): Route(lambda w: f"/e/{w.slug}/print/cards", ORGANIZERS),
    ("printing.signs_pdf", "GET"): Route(lambda w: f"/e/{w.slug}/print/signs.pdf?size=a6",
                                         ORGANIZERS),
    ("printing.cards_pdf", "GET"): Route(
        lambda w: f"/e/{w.slug}/print/cards.pdf?topic={w.placed}", ORGANIZERS),
    ("printing.scan", "GET"): Route(lambda w: f"/t/{w.placed}/notes?code={w.join_code}",
                                    EVERYONE, note="the printed code is the invitation: "
                                    "members go to the notes, the others to the join step"),
    # The schedule advisor (organizers) -------------------------------------------------------
    ("advisor.show", "GET"): Route(lambda w: f"/e/{w.slug}/advisor", ORGANIZERS),
    ("advisor.suggest", "POST"): Route(lambda w: f"/e/{w.slug}/advisor", ORGANIZERS,
                                       lambda w, r: {"max_moves": "3"}),
    ("advisor.apply", "POST"): Route(lambda w: f"/e/{w.slug}/advisor/apply", ORGANIZERS,
                                     lambda w, r: {"move": _swap_token(w)}),
    ("api.advisor_suggest", "POST"): Route(lambda w: f"/api/v1/events/{w.slug}/advisor/suggest",
                                           ORGANIZERS, lambda w, r: {"max_moves": 3}),
    ("api.advisor_apply", "POST"): Route(lambda w: f"/api/v1/events/{w.slug}/advisor/apply",
                                         ORGANIZERS, lambda w, r: {"moves": [_swap(w)]}),
    # Action items: the world's note has "- [ ] Book the room @Participant" --------------
    ("api.list_action_items", "GET"): Route(
        lambda w: f"/api/v1/events/{w.slug}/action-items", MEMBERS),
    ("api.tick_action_item", "PUT"): Route(
        lambda w: f"/api/v1/topics/{w.placed}/action-items/0", frozenset({P, ORG}),
        lambda w, r: {"text": "Book the room", "done": True},
        note="its owner and the organizers"),
    ("api.list_mentions", "GET"): Route(lambda w: f"/api/v1/events/{w.slug}/mentions",
                                        MEMBERS),
    # Summary and exports (the summary is not published in the world: organizers only) -----
    ("summary.show", "GET"): Route(lambda w: f"/e/{w.slug}/summary", ORGANIZERS),
    ("summary.markdown", "GET"): Route(lambda w: f"/e/{w.slug}/summary.md", ORGANIZERS),
    ("summary.json_export", "GET"): Route(lambda w: f"/e/{w.slug}/summary.json", ORGANIZERS),
    ("summary.archive", "GET"): Route(lambda w: f"/e/{w.slug}/summary.zip", ORGANIZERS),
    ("summary.publish", "POST"): Route(lambda w: f"/e/{w.slug}/summary/publish", ORGANIZERS,
                                       lambda w, r: {"published": "1"}),
    ("summary.schedule", "GET"): Route(lambda w: f"/e/{w.slug}/schedule.ics", MEMBERS),
    ("summary.calendar", "GET"): Route(lambda w: f"/e/{w.slug}/calendar", MEMBERS),
    ("summary.agenda_feed", "GET"): Route(lambda w: f"/e/{w.slug}/agenda/not-a-token.ics",
                                          NOBODY, note="a personal feed needs its secret"),
    ("summary.schema", "GET"): Route(lambda w: "/schemas/event-export-v1.json", EVERYONE),
    # Languages: anyone chooses their own (saved on their own account only), catalogs are public
    ("i18n.set_language", "POST"): Route(lambda w: "/language", EVERYONE,
                                         lambda w, r: {"language": "de", "next": "/"}),
    ("i18n.catalog_json", "GET"): Route(lambda w: "/i18n/de.json", EVERYONE),
    # The colour theme: a cookie of the browser's own, nothing stored on the server
    ("theme.set_theme", "POST"): Route(lambda w: "/theme", EVERYONE,
                                       lambda w, r: {"theme": "dark", "next": "/"}),
    ("i18n.catalog_script", "GET"): Route(lambda w: "/i18n/de.js", EVERYONE),
}

# y-protocols awareness: 1 client, id 1, clock 1, state "{}".
AWARENESS = b"\x01\x01\x01\x02{}"

SOCKET_EVENTS: dict[str, Event] = {
    "event:join": Event(lambda w: {"slug": w.slug}, MEMBERS, listen=True),
    "event:leave": Event(lambda w: {"slug": w.slug}, MEMBERS),
    "board:propose": Event(lambda w: {"slug": w.slug, "topic": {"title": "By socket"}},
                           MEMBERS),
    "board:place": Event(lambda w: {"topic_id": w.topic, "room_id": w.rooms[0],
                                    "slot_id": w.slots[2]}, EDITORS),
    "board:release": Event(lambda w: {"topic_id": w.placed}, EDITORS),
    "board:withdraw": Event(lambda w: {"topic_id": w.topic}, EDITORS),
    "board:swap": Event(lambda w: {"topic_id": w.placed, "with": w.second}, ORGANIZERS),
    "board:interest": Event(lambda w: {"topic_id": w.placed, "interested": True}, MEMBERS),
    "pitch:join": Event(lambda w: {"slug": w.slug, "topic_id": w.topic}, EDITORS),
    "pitch:leave": Event(lambda w: {"slug": w.slug, "pitch_id": w.pitch_waiting}, EDITORS),
    "pitch:next": Event(lambda w: {"slug": w.slug, "current_id": w.pitch_current}, ORGANIZERS),
    "pitch:done": Event(lambda w: {"slug": w.slug, "pitch_id": w.pitch_current}, EDITORS),
    "note:join": Event(lambda w: {"topic_id": w.placed}, MEMBERS, listen=True),
    "note:leave": Event(lambda w: {"topic_id": w.placed}, EVERYONE),
    "note:update": Event(lambda w: {"topic_id": w.placed, "update": _note_update()}, MEMBERS),
    "note:awareness": Event(lambda w: {"topic_id": w.placed, "update": AWARENESS}, MEMBERS),
}


def _note_update() -> bytes:
    """A real Yjs update typing some text into a fresh document."""
    from pycrdt import Doc, Text

    doc = Doc()
    doc["markdown"] = text = Text()  # notes.ROOT
    text += "# Notes\n"
    return doc.get_update()




# On a *public* event, what anyone may read (the rest of the matrix stays as it is: writes need
# membership, organizer pages need an organizer).
PUBLIC_READS = {
    ("board.show", "GET"), ("board.live", "GET"), ("board.now", "GET"), ("projector.show", "GET"),
    ("board.marketplace", "GET"), ("board.more", "GET"),
    ("topics.show", "GET"), ("notes.photo", "GET"), ("notes.photo_thumb", "GET"),
    ("notes.actions_page", "GET"), ("notes.actions_csv", "GET"),
    ("api.get_event", "GET"), ("api.get_board", "GET"), ("api.get_topic", "GET"),
    ("api.get_notes", "GET"), ("summary.schedule", "GET"), ("summary.calendar", "GET"),
    ("api.list_action_items", "GET"), ("api.get_here", "GET"),
    ("board.pitches_page", "GET"), ("api.get_pitches", "GET"),
}
PUBLIC_SOCKET_READS = {"event:join", "event:leave", "note:join"}
# Pages behind the login page that any logged-in user may read on a public event.
PUBLIC_LOGGED_IN_READS = {("board.my_agenda", "GET"), ("projector.announcements_page", "GET")}
# Pages that show the join code to everyone who may see them: the projector is put on the wall
# for people in the room to join (on a public event: anyone who can reach the server); and the
# pages whose address carries the code already.
SHOWS_JOIN_CODE = {("projector.show", "GET"), ("auth.quick_join", "GET"),
                   ("printing.scan", "GET"),
                   ("events.find_by_code", "GET"),
                   ("admin.export_event", "GET")}  # the full backup, for instance admins only


def files_of(route: Route, world: W) -> dict:
    """The multipart file fields a route's request carries."""
    import io

    if route.files:
        return {"photo": (io.BytesIO(jpeg_bytes()), "p.jpg")}
    if route.upload:
        return {"file": (io.BytesIO(world.export), "backup.json")}
    return {}


def public_allowed(endpoint: str, method: str) -> frozenset:
    if (endpoint, method) in PUBLIC_READS:
        return EVERYONE
    if (endpoint, method) in PUBLIC_LOGGED_IN_READS:
        return LOGGED_IN
    return ROUTES[(endpoint, method)].allowed


__all__ = ["ROUTES", "SOCKET_EVENTS", "jpeg_bytes"]
