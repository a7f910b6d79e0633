"""The OpenAPI 3.1 document of /api/v1, built from Python data.

Length limits and choices come from domain/validation.py and the model enums, so the document
follows the rules. tests/api/test_openapi.py compares its (path, method) pairs with the app's
real routes in both directions, so the two cannot drift apart.
"""

from __future__ import annotations

import re
from functools import cache

from ... import i18n
from ...domain import pitches
from ...domain import validation as v
from ...models import (
    BoardState,
    PitchState,
    ProjectorMode,
    Role,
    SlotKind,
    TopicStatus,
    Visibility,
)

UNSAFE = {"post", "put", "patch", "delete"}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def string(max_len: int | None = None, **extra) -> dict:
    schema: dict = {"type": "string", **extra}
    if max_len is not None:
        schema["maxLength"] = max_len
    return schema


def enum(cls) -> dict:
    return {"type": "string", "enum": [m.value for m in cls]}


def obj(properties: dict, required: tuple[str, ...] = (), *, closed: bool = False,
        description: str | None = None) -> dict:
    """An object schema; `closed` request bodies reject unknown keys (the API answers 400)."""
    schema: dict = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    if closed:
        schema["additionalProperties"] = False
    if description:
        schema["description"] = description
    return schema


def array(items: dict, **extra) -> dict:
    return {"type": "array", "items": items, **extra}


# The one id rule (validation.as_id): 1..2**63-1; as JSON Schema's "integer", 7.0 is 7.
ID = {"type": "integer", "minimum": 1, "maximum": v.ID_MAX}
NULLABLE_ID = {"type": ["integer", "null"], "minimum": 1, "maximum": v.ID_MAX}
DATE = string(format="date", examples=["2026-11-23"])
LOCAL_TIME = string(
    pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$", examples=["2026-11-23T10:00"],
    description="Local date and time in the event's time zone, without an offset.",
)
CAPACITY = {"type": ["integer", "null"], "minimum": 1, "maximum": v.CAPACITY_MAX}
TAGS = array(string(v.TAG_MAX), maxItems=v.TAGS_MAX,
             description="Short tags; a leading # is dropped and tags are lower-cased.")


def nullable(schema: dict, meaning: str) -> dict:
    """A request field that also takes null, which the API reads as `meaning`."""
    note = f"null: {meaning}."
    text = schema.get("description")
    return {"anyOf": [schema, {"type": "null"}], "description": f"{text} {note}" if text else note}


# Request fields: what the API also accepts (validation.py), the document says too.
TAGS_IN = nullable({"anyOf": [TAGS, string(description="Comma-separated, as forms send them.")],
                    "description": TAGS["description"]}, "no tags")
ENDS_ON_IN = nullable({"anyOf": [DATE, {"const": ""}],
                       "description": "Empty: the event ends the day it starts; at most 14 "
                                      "days after it."}, "the same as empty")

_event_settings = {
    "name": string(v.EVENT_NAME_MAX, minLength=1),
    "timezone": string(64, description="IANA time zone, e.g. Europe/Brussels",
                       examples=["Europe/Brussels"]),
    "starts_on": DATE,
    "ends_on": {**DATE, "description": "Defaults to starts_on; at most 14 days after it."},
    "visibility": {**enum(Visibility), "default": "public",
                   "description": "public: listed; unlisted: anyone with the link; "
                                  "private: members only (404 for everyone else)."},
    "theme": string(v.THEME_MAX, description="The calling question; may span lines."),
    "hashtag": string(v.HASHTAG_MAX, pattern=f"^$|{v.HASHTAG_RE.pattern}",
                      description="Empty: no hashtag."),
    "venue": string(v.VENUE_MAX),
    "language": {"type": "string", "enum": list(i18n.LANGUAGES), "default": i18n.DEFAULT,
                 "description": "The event's language (BCP 47): new notes' report template, "
                                "the summary and export headings, the calendar feed, the "
                                "projector (unless a viewer chose another)."},
}

SCHEMAS: dict[str, dict] = {
    "Error": obj({
        "error": obj({
            "code": string(examples=["slot_taken"],
                           description="What went wrong, for programs: always English."),
            "message": string(description="For people, in the caller's language (the "
                                          "account's choice, else Accept-Language, else "
                                          "English)."),
            "fields": {"type": "object", "additionalProperties": {"type": "string"},
                       "description": "Field name -> what is wrong with it (in the caller's "
                                      "language; the names stay as sent)."},
            "holder": obj({"id": ID, "title": string()},
                          description="slot_taken / convener_busy: the topic in the way."),
            "retry_after": {"type": "number", "description": "rate_limited: seconds to wait."},
        }, ("code", "message")),
    }, ("error",)),
    "UserBrief": obj({"id": ID, "name": string()}, ("id", "name")),
    "Account": obj({"id": ID, "name": string(), "email": {"type": ["string", "null"]}},
                   ("id", "name", "email")),
    "UserCreate": obj({
        "email": string(v.EMAIL_MAX, format="email"),
        "password": string(v.PASSWORD_MAX, minLength=v.PASSWORD_MIN),
        "name": string(v.NAME_MAX, minLength=1),
    }, ("email", "password", "name"), closed=True),
    "TokenCreate": obj({
        "email": string(v.EMAIL_MAX, format="email"),
        "password": string(v.PASSWORD_MAX),
        "label": nullable(string(v.TOKEN_LABEL_MAX, description="To recognise the token "
                                                                "later."), "none"),
    }, ("email", "password"), closed=True),
    "Token": obj({"token": string(description="Shown once; send as Authorization: Bearer.")},
                 ("token",)),
    "Revoked": obj({"revoked": {"type": "integer", "minimum": 0,
                                "description": "How many tokens were revoked."}},
                   ("revoked",)),
    "CsrfToken": obj({"csrf_token": string()}, ("csrf_token",)),
    "Me": {
        "allOf": [ref("Account"), obj({
            "memberships": array(obj({"event": ref("Event"), "role": enum(Role)},
                                     ("event", "role"))),
        }, ("memberships",))],
    },
    "Event": obj({
        "slug": string(v.SLUG_MAX),
        **_event_settings,
        "board_state": enum(BoardState),
        "summary_published": {"type": "boolean"},
        "projector_mode": enum(ProjectorMode),
        "join_code": string(16, description="Only shown to the event's organizers."),
    }, ("slug", "name", "timezone", "starts_on", "ends_on", "visibility", "board_state",
        "summary_published", "projector_mode", "language")),
    "EventList": obj({"events": array(ref("Event"))}, ("events",)),
    "EventCreate": obj({
        **_event_settings,
        "slug": nullable(string(v.SLUG_MAX, pattern=f"^$|{v.SLUG_RE.pattern}",
                                description="The address; made from the name when empty or "
                                            "left out."), "made from the name"),
        "ends_on": ENDS_ON_IN,
        "visibility": nullable(_event_settings["visibility"], "public"),
        "theme": nullable(_event_settings["theme"], "none"),
        "hashtag": nullable(_event_settings["hashtag"], "no hashtag"),
        "venue": nullable(_event_settings["venue"], "none"),
    }, ("name", "timezone", "starts_on"), closed=True),
    "EventPatch": obj({
        **_event_settings,
        "ends_on": ENDS_ON_IN,
        "theme": nullable(_event_settings["theme"], "none"),
        "hashtag": nullable(_event_settings["hashtag"], "no hashtag"),
        "venue": nullable(_event_settings["venue"], "none"),
        "board_state": {**enum(BoardState),
                        "description": "locked: only organizers change the board."},
        "summary_published": {"type": "boolean"},
        "projector_mode": {**enum(ProjectorMode),
                           "description": "What every projector shows: auto (the agenda, the "
                                          "news between sessions), board or news."},
    }, closed=True),
    "Room": obj({"id": ID, "name": string(), "capacity": CAPACITY}, ("id", "name", "capacity")),
    "RoomCreate": obj({"name": string(v.ROOM_NAME_MAX, minLength=1), "capacity": CAPACITY},
                      ("name",), closed=True),
    "RoomPatch": obj({"name": string(v.ROOM_NAME_MAX, minLength=1), "capacity": CAPACITY},
                     closed=True),
    "Slot": obj({"id": ID, "starts_at": LOCAL_TIME, "ends_at": LOCAL_TIME, "kind": enum(SlotKind),
                 "label": string()}, ("id", "starts_at", "ends_at", "kind", "label")),
    "SlotCreate": obj({
        "starts_at": LOCAL_TIME, "ends_at": LOCAL_TIME,
        "kind": nullable({**enum(SlotKind), "default": "session",
                          "description": "Only session slots hold topics."}, "session"),
        "label": nullable(string(v.SLOT_LABEL_MAX), "none"),
    }, ("starts_at", "ends_at"), closed=True),
    "SlotPatch": obj({"starts_at": LOCAL_TIME, "ends_at": LOCAL_TIME, "kind": enum(SlotKind),
                      "label": nullable(string(v.SLOT_LABEL_MAX), "none")}, closed=True),
    "JoinRequest": obj({"join_code": string(16, examples=["K7PQ2M"])}, ("join_code",),
                       closed=True),
    "Member": obj({"user": ref("UserBrief"), "role": enum(Role),
                   "joined_at": string(format="date-time")}, ("user", "role", "joined_at")),
    "MemberList": obj({"members": array(ref("Member"))}, ("members",)),
    "RoleChange": obj({"role": enum(Role)}, ("role",), closed=True),
    "Topic": obj({
        "id": ID,
        "title": string(),
        "description": string(),
        "tags": array(string()),
        "convener": ref("UserBrief"),
        "room_id": NULLABLE_ID,
        "slot_id": NULLABLE_ID,
        "status": enum(TopicStatus),
        "interest_count": {"type": "integer", "minimum": 0},
        "over_capacity": {"type": "boolean",
                          "description": "More people are interested than the room holds."},
        "merged_into_id": NULLABLE_ID,
    }, ("id", "title", "description", "convener", "room_id", "slot_id", "status",
        "interest_count")),
    "TopicCreate": obj({
        "title": string(v.TITLE_MAX, minLength=1),
        "description": nullable(string(v.DESCRIPTION_MAX,
                                       description="Plain text; may span lines."), "none"),
        "tags": TAGS_IN,
    }, ("title",), closed=True),
    "TopicPatch": obj({
        "title": string(v.TITLE_MAX, minLength=1),
        "description": nullable(string(v.DESCRIPTION_MAX), "none"),
        "tags": TAGS_IN,
    }, closed=True),
    "Placement": obj({"room_id": ID, "slot_id": ID}, ("room_id", "slot_id"), closed=True),
    "Swap": obj({"with": ID}, ("with",), closed=True),
    "TopicPair": obj({"topics": array(ref("Topic"), minItems=2, maxItems=2)}, ("topics",)),
    "Merge": obj({"into": ID}, ("into",), closed=True),
    "Board": obj({
        "version": {"type": "integer", "minimum": 0,
                    "description": "Grows by exactly one with every board change."},
        "event": ref("Event"),
        "rooms": array(ref("Room")),
        "slots": array(ref("Slot")),
        "topics": array(ref("Topic"), description="Proposed and placed topics."),
    }, ("version", "event", "rooms", "slots", "topics")),
    "AdvisorRequest": obj({
        "pinned": array(ID, maxItems=2000, description="Topics that keep their cell (ids of "
                        "this event's topics). The advisor remembers no pins: send them with "
                        "every request."),
        "max_moves": nullable({"type": "integer", "minimum": 1, "maximum": 50, "default": 10,
                               "description": "At most this many topics change cell (a swap "
                                              "moves two)."}, "the default, 10"),
    }, closed=True),
    "AdvisorScore": obj({
        "clashes": {"type": "integer", "minimum": 0,
                    "description": "Attendees two of whose chosen sessions (I'll come, or "
                                   "convening) run in the same time slot."},
        "over_capacity": {"type": "integer", "minimum": 0,
                          "description": "People beyond the seats, summed over placed topics."},
        "rooms_over_capacity": {"type": "integer", "minimum": 0,
                                "description": "Placed topics whose room is too small."},
    }, ("clashes", "over_capacity", "rooms_over_capacity")),
    "AdvisorCell": obj({"room_id": ID, "slot_id": ID}, ("room_id", "slot_id"), closed=True),
    "AdvisorMove": obj({
        "kind": {"type": "string", "enum": ["move", "swap"],
                 "description": "move: into a cell that is free now; swap: with the topic "
                                "in it, which takes this topic's cell."},
        "topic": obj({"id": ID, "title": string()}, ("id", "title")),
        "from": ref("AdvisorCell"),
        "to": ref("AdvisorCell"),
        "with": {"anyOf": [obj({"id": ID, "title": string()}, ("id", "title")),
                           {"type": "null"}], "description": "The other topic of a swap."},
        "gains": {**ref("AdvisorScore"), "description": "What this move gains applied alone "
                  "(moves are independent: any subset can be applied)."},
    }, ("kind", "topic", "from", "to", "with", "gains")),
    "AdvisorSuggestion": obj({
        "version": {"type": "integer", "minimum": 0,
                    "description": "The board version the suggestion was made for."},
        "status": {"type": "string", "enum": ["optimal", "feasible", "unsolved"],
                   "description": "optimal: proven best within the limits; feasible: the "
                                  "time limit ended the search; unsolved: no answer in time "
                                  "(no moves)."},
        "seconds": {"type": "number", "minimum": 0},
        "max_moves": {"type": "integer"},
        "pinned": array(ID),
        "before": ref("AdvisorScore"),
        "after": ref("AdvisorScore"),
        "moves": array(ref("AdvisorMove")),
        "explanations": array(obj({
            "code": string(description="empty_board, unplaced, nothing_to_improve, "
                                       "too_many_choices, pinned_clash, room_too_small, "
                                       "pinned_over_capacity, move_limit, time_limit, "
                                       "unsolved, optimal"),
            "message": string(description="In the caller's language."),
        }, ("code", "message")), description="What cannot be improved, and why."),
    }, ("version", "status", "before", "after", "moves", "explanations")),
    "AdvisorApply": obj({
        "moves": array(obj({
            "kind": {"type": "string", "enum": ["move", "swap"]},
            "topic_id": ID,
            "from": ref("AdvisorCell"),
            "to": ref("AdvisorCell"),
            "with_topic_id": {**ID, "description": "A swap's other topic (it is in `to`)."},
        }, ("kind", "topic_id", "from", "to"), closed=True), minItems=1, maxItems=100),
    }, ("moves",), closed=True),
    "AdvisorApplied": obj({
        "applied": {"type": "integer", "minimum": 0},
        "version": {"type": "integer", "minimum": 0, "description": "The board version now."},
        "results": array(obj({
            "ok": {"type": "boolean"},
            "topics": array(ref("Topic"), description="The topics as they are now (ok)."),
            "error": {"type": "object", "description": "Why this move was not applied "
                      "(board_changed, slot_taken, convener_busy, not_found, ...)."},
        }, ("ok",)), description="One per move, in order."),
    }, ("applied", "version", "results")),
    "Owner": obj({"handle": string(description="As written after the @"),
                  "user_id": NULLABLE_ID, "name": {"type": ["string", "null"]}},
                 ("handle", "user_id", "name"),
                 description="An @handle and the member it names (null: no member, or "
                             "several share it)."),
    "ActionItem": obj({
        "text": string(description="Markdown, without the @owners"),
        "owners": array(string(), description="The handles, without the @"),
        "owner_members": array(ref("Owner")),
        "done": {"type": "boolean"},
        "topic_id": NULLABLE_ID,
        "index": {"type": "integer", "minimum": 0,
                  "description": "Its place among the note's items (what PUT names)"},
    }, ("text", "owners", "owner_members", "done", "topic_id", "index")),
    "ActionItemList": obj({"items": array(ref("ActionItem"))}, ("items",)),
    "ActionItemTick": obj({
        "text": string(description="The item's text as you saw it: a note that changed "
                                   "meanwhile answers 409 stale"),
        "done": {"type": "boolean"}}, ("text", "done"), closed=True),
    "Mention": obj({"user_id": ID, "name": string(), "handle": string()},
                   ("user_id", "name", "handle")),
    "Headcount": obj({
        "topic_id": ID, "room_id": NULLABLE_ID,
        "here": {"type": "integer", "minimum": 0, "description": "Checked in now"},
        "coming": {"type": "integer", "minimum": 0, "description": "Said they'll come"},
        "capacity": CAPACITY,
        "over_capacity": {"type": "boolean",
                          "description": "More people are here than the room seats"}},
        ("topic_id", "room_id", "here", "coming", "capacity", "over_capacity"),
        description="A session running now (or starting within ten minutes)."),
    "Here": obj({"checked_in": {**NULLABLE_ID, "description": "The topic you are checked "
                                "in to now; null: nowhere (or anonymous)"},
                 "headcounts": array(ref("Headcount"))}, ("checked_in", "headcounts")),
    "MentionList": obj({"members": array(ref("Mention"))}, ("members",)),
    "Pitch": obj({
        "id": ID,
        "state": enum(PitchState),
        "position": {"type": "integer", "minimum": 1,
                     "description": "Increases in the order conveners joined (not a place)."},
        "topic": obj({"id": ID, "title": string()}, ("id", "title")),
        "convener": ref("UserBrief"),
        "started_at": {"type": ["string", "null"], "format": "date-time",
                       "description": "When the pitch began (UTC); null while waiting."},
        "ends_at": {"type": ["string", "null"], "format": "date-time",
                    "description": "When its countdown ends: started_at + the queue's "
                                   "seconds (UTC)."},
    }, ("id", "state", "position", "topic", "convener", "started_at", "ends_at")),
    "PitchQueue": obj({
        "version": {"type": "integer", "minimum": 0,
                    "description": "Increases by one with every queue change; the "
                                   "pitch:changed broadcast carries this whole object."},
        "open": {"type": "boolean", "description": "Conveners may join the queue."},
        "seconds": {"type": "integer", "minimum": pitches.SECONDS_MIN,
                    "maximum": pitches.SECONDS_MAX, "description": "Seconds per pitch."},
        "server_time": {"type": "string", "format": "date-time",
                        "description": "The server's clock (UTC) when this was made: "
                                       "countdowns correct the device's clock by it."},
        "current": {"anyOf": [ref("Pitch"), {"type": "null"}],
                    "description": "Who announces now (null: nobody)."},
        "next": array(ref("Pitch"), maxItems=pitches.NEXT_SHOWN,
                      description="The next in line, in order."),
        "waiting": {"type": "integer", "minimum": 0, "description": "How many wait."},
        "order": array(ID, description="Every waiting pitch's id, in order."),
        "mine": array(obj({
            "pitch_id": ID, "topic_id": ID, "state": enum(PitchState),
            "place": {"type": ["integer", "null"], "minimum": 1,
                      "description": "1: first in line; null: announcing now."},
            "minutes": {"type": "integer", "minimum": 0,
                        "description": "About how long until the pitch starts."},
        }, ("pitch_id", "topic_id", "state", "place", "minutes")),
            description="The caller's own topics in the queue (empty when anonymous)."),
    }, ("version", "open", "seconds", "server_time", "current", "next", "waiting", "order")),
    "PitchJoin": obj({"topic_id": {**ID, "description": "A topic you convene (organizers: "
                                          "any topic of the event)."}},
                     ("topic_id",), closed=True),
    "PitchJoined": obj({"pitch": ref("Pitch"), "queue": ref("PitchQueue")}, ("pitch", "queue")),
    "PitchNext": obj({"current_id": {**NULLABLE_ID, "description": "The pitch you saw "
                                     "announcing (null: nobody). Left out: no check. A queue "
                                     "that moved on meanwhile answers 409 queue_changed "
                                     "instead of skipping someone."}}, closed=True),
    "PitchSettings": obj({
        "open": {"type": "boolean"},
        "seconds": {"type": "integer", "minimum": pitches.SECONDS_MIN,
                    "maximum": pitches.SECONDS_MAX},
    }, closed=True),
    "Notes": obj({"markdown": string(description="The note's current text (Markdown); empty "
                                                 "while nobody has opened the note."),
                  "updated_at": {"type": ["string", "null"], "format": "date-time",
                                 "description": "When the text last changed (UTC); null while "
                                                "nobody has opened the note."}},
                 ("markdown", "updated_at"),
                 description="A session's shared note. It is written over Socket.IO "
                             "(note:join, note:update), as a Yjs document."),
}

ERRORS = {
    400: "invalid: bad JSON or fields (see error.fields); csrf_failed: missing X-CSRFToken",
    401: "not_authenticated: log in (cookie) or send a valid Bearer token",
    403: "forbidden, board_locked or bad_join_code",
    404: "not_found: unknown, or a private event you are not a member of",
    409: "conflict: slot_taken, convener_busy, board_changed, email_taken, slug_taken, "
         "last_organizer, creator, topic_inactive, queue_closed, already_queued, "
         "queue_changed, queue_empty, ...",
    413: "request_entity_too_large: the body exceeds the server's limit",
    429: "rate_limited: too many changes, sign-ins, sign-ups or wrong join codes; wait "
         "Retry-After seconds",
}

# (path, method, operationId, summary, request schema, (status, response schema), errors, auth)
# auth: "user" needs a logged-in user; "public" works anonymously too (more with a user).
OPERATIONS: list[tuple] = [
    ("/users", "post", "createUser", "Register an account", "UserCreate", (201, "Account"),
     (409,), "public"),
    ("/tokens", "post", "createToken", "Log in: get an API token", "TokenCreate",
     (201, "Token"), (401,), "public"),
    ("/tokens", "delete", "revokeTokens", "Revoke all of your API tokens", None,
     (200, "Revoked"), (), "user"),
    ("/me", "get", "getMe", "The current user and their memberships", None, (200, "Me"), (),
     "user"),
    ("/csrf", "get", "getCsrfToken", "CSRF token for cookie clients", None, (200, "CsrfToken"),
     (), "public"),
    ("/openapi.json", "get", "getOpenApi", "This document", None, (200, None), (), "public"),
    ("/events", "get", "listEvents", "Public events and the user's own", None,
     (200, "EventList"), (), "public"),
    ("/events", "post", "createEvent", "Create an event (you become its organizer)",
     "EventCreate", (201, "Event"), (409,), "user"),
    ("/events/{slug}", "get", "getEvent", "An event", None, (200, "Event"), (404,), "public"),
    ("/events/{slug}", "patch", "updateEvent", "Change settings, lock or open the board",
     "EventPatch", (200, "Event"), (403, 404), "user"),
    ("/events/{slug}/board", "get", "getBoard", "The whole board with its version", None,
     (200, "Board"), (404,), "public"),
    ("/events/{slug}/advisor/suggest", "post", "suggestSchedule",
     "Suggest moves and swaps that lower clashes and over-capacity (organizers; takes up to "
     "a few seconds)", "AdvisorRequest", (200, "AdvisorSuggestion"), (403, 404), "user"),
    ("/events/{slug}/advisor/apply", "post", "applySchedule",
     "Apply some of the advisor's moves, each an ordinary board change (organizers)",
     "AdvisorApply", (200, "AdvisorApplied"), (403, 404), "user"),
    ("/events/{slug}/rooms", "post", "addRoom", "Add a room (organizers)", "RoomCreate",
     (201, "Room"), (403, 404, 409), "user"),
    ("/events/{slug}/rooms/{room_id}", "patch", "updateRoom", "Rename or resize a room",
     "RoomPatch", (200, "Room"), (403, 404, 409), "user"),
    ("/events/{slug}/rooms/{room_id}", "delete", "deleteRoom",
     "Remove a room; its topics return to the marketplace", None, (204, None), (403, 404),
     "user"),
    ("/events/{slug}/slots", "post", "addSlot", "Add a time slot (organizers)", "SlotCreate",
     (201, "Slot"), (403, 404), "user"),
    ("/events/{slug}/slots/{slot_id}", "patch", "updateSlot", "Change a time slot",
     "SlotPatch", (200, "Slot"), (403, 404, 409), "user"),
    ("/events/{slug}/slots/{slot_id}", "delete", "deleteSlot",
     "Remove a time slot; its topics return to the marketplace", None, (204, None),
     (403, 404), "user"),
    ("/events/{slug}/members", "post", "joinEvent",
     "Join with the join code (201 new member, 200 already one)", "JoinRequest",
     (201, "Member"), (404,), "user"),  # and 200: ALSO_OK
    ("/events/{slug}/members", "get", "listMembers", "The members (for members)", None,
     (200, "MemberList"), (403, 404), "user"),
    ("/events/{slug}/members/{user_id}/role", "put", "setRole",
     "Make a member co-organizer or participant (organizers)", "RoleChange",
     (200, "Member"), (403, 404, 409), "user"),
    ("/events/{slug}/members/{user_id}", "delete", "removeMember",
     "Remove a member (organizers); their topics and notes stay, their interest goes", None,
     (204, None), (403, 404, 409), "user"),
    ("/events/{slug}/topics", "post", "proposeTopic", "Propose a topic (members)",
     "TopicCreate", (201, "Topic"), (403, 404), "user"),
    ("/topics/{topic_id}", "get", "getTopic", "A topic", None, (200, "Topic"), (404,), "public"),
    ("/topics/{topic_id}", "patch", "updateTopic", "Edit a topic (convener, organizers)",
     "TopicPatch", (200, "Topic"), (403, 404, 409), "user"),
    ("/topics/{topic_id}", "delete", "withdrawTopic", "Withdraw a topic (its cell is freed)",
     None, (200, "Topic"), (403, 404, 409), "user"),
    ("/topics/{topic_id}/placement", "put", "placeTopic",
     "Put a topic into a free (room, slot) cell or move it there", "Placement",
     (200, "Topic"), (403, 404, 409), "user"),
    ("/topics/{topic_id}/placement", "delete", "releaseTopic",
     "Take a topic out of its cell, back to the marketplace", None, (200, "Topic"),
     (403, 404), "user"),
    ("/topics/{topic_id}/interest", "put", "addInterest", "Say you'll come (members)", None,
     (200, "Topic"), (403, 404, 409), "user"),
    ("/topics/{topic_id}/interest", "delete", "removeInterest", "Take back your interest",
     None, (200, "Topic"), (403, 404, 409), "user"),
    ("/events/{slug}/here", "get", "getHere",
     "Who is here now: the running sessions' headcounts, and where you are checked in", None,
     (200, "Here"), (404,), "public"),
    ("/topics/{topic_id}/here", "put", "checkIn",
     "I'm here: check in to this running session, out of the previous one (members)", None,
     (200, "Here"), (403, 404, 409), "user"),
    ("/events/{slug}/here", "delete", "checkOut",
     "Check out of wherever you are checked in, in this event (members)", None,
     (200, "Here"), (403, 404), "user"),
    ("/topics/{topic_id}/swap", "post", "swapTopics",
     "Exchange the cells of two topics (organizers)", "Swap", (200, "TopicPair"),
     (403, 404, 409), "user"),
    ("/topics/{topic_id}/merge", "post", "mergeTopics",
     "Fold a duplicate into another topic (organizers)", "Merge", (200, "Topic"),
     (403, 404, 409), "user"),
    ("/topics/{topic_id}/notes", "get", "getNotes", "The session's shared note as Markdown",
     None, (200, "Notes"), (404,), "public"),
    ("/events/{slug}/action-items", "get", "listActionItems",
     "The action items of the event's notes, owners resolved to members", None,
     (200, "ActionItemList"), (400, 404), "public"),
    ("/topics/{topic_id}/action-items/{index}", "put", "tickActionItem",
     "Tick or untick an action item (its owners, organizers); edits the note",
     "ActionItemTick", (200, "ActionItem"), (403, 404, 409), "user"),
    ("/events/{slug}/pitches", "get", "getPitchQueue",
     "The opening marketplace's pitch queue: who announces now, the next three, your place",
     None, (200, "PitchQueue"), (404,), "public"),
    ("/events/{slug}/pitches", "post", "joinPitchQueue",
     "Line up to announce a topic of yours (while the queue is open)", "PitchJoin",
     (201, "PitchJoined"), (403, 404, 409), "user"),
    ("/events/{slug}/pitches", "patch", "updatePitchQueue",
     "Open or close the queue, set the seconds per pitch (organizers)", "PitchSettings",
     (200, "PitchQueue"), (403, 404), "user"),
    ("/events/{slug}/pitches/next", "post", "nextPitch",
     "The facilitator's next: the current pitch is done, the first in line starts "
     "(organizers)", "PitchNext", (200, "PitchQueue"), (403, 404, 409), "user"),
    ("/events/{slug}/pitches/{pitch_id}/done", "post", "finishPitch",
     "The convener announcing now is done; the next in line starts", None,
     (200, "PitchQueue"), (403, 404, 409), "user"),
    ("/events/{slug}/pitches/{pitch_id}", "delete", "leavePitchQueue",
     "Leave the queue (the convener, organizers); leaving while announcing ends the pitch",
     None, (200, "PitchQueue"), (403, 404, 409), "user"),
    ("/events/{slug}/mentions", "get", "listMentions",
     "Whom @ offers in the notes editor: members by name (members)", None,
     (200, "MentionList"), (403, 404), "user"),
]

# Query parameters of an operation (name, schema, description).
QUERY_PARAMETERS = {
    "listActionItems": [
        ("mine", {"type": "string", "enum": ["0", "1", "true", "false"]},
         "1: only the items you own (needs a user)"),
        ("open", {"type": "string", "enum": ["0", "1", "true", "false"]},
         "1: only the items not done"),
        ("topic_id", ID, "Only this session's items"),
    ],
}

# Operations that answer 304 to a client whose If-None-Match names their current ETag.
NOT_MODIFIED = {"getBoard"}

# Further successful answers of an operation (status, schema, description).
ALSO_OK = {
    "joinEvent": (200, "Member", "Already a member: nothing changed"),
}

PATH_PARAMETERS = {
    "slug": string(v.SLUG_MAX, description="The event's address"),
    "room_id": ID, "slot_id": ID, "user_id": ID, "topic_id": ID, "pitch_id": ID,
    "index": {"type": "integer", "minimum": 0, "maximum": 262144,
              "description": "An action item's place among its note's items, from 0"},
}

_OPTIONAL_AUTH = [{}, {"bearerAuth": []}, {"cookieAuth": []}]
_READ_AUTH = [{"bearerAuth": []}, {"cookieAuth": []}]
_WRITE_AUTH = [{"bearerAuth": []}, {"cookieAuth": [], "csrfToken": []}]


def _operation(path: str, method: str, op_id: str, summary: str, body: str | None,
               ok: tuple[int, str | None], errors: tuple[int, ...], auth: str) -> dict:
    statuses = set(errors)
    if body:
        statuses |= {400, 413}
    statuses.add(401)  # also on public operations: a wrong Bearer token is never ignored
    if method in UNSAFE:
        # csrf_failed for cookie clients; per-user limits (and the per-account login limit,
        # the per-address sign-in and sign-up budgets)
        statuses |= {400, 429}
    status, schema = ok
    success: dict = {"description": "OK" if status < 300 else "Created"}
    if status == 204:
        success = {"description": "Done; no content"}
    elif schema:
        success["content"] = {"application/json": {"schema": ref(schema)}}
    else:
        success["content"] = {"application/json": {"schema": {"type": "object"}}}
    responses = {str(status): success}
    if op_id in NOT_MODIFIED:
        responses["304"] = {"description": "Not modified: If-None-Match named the current "
                                           "ETag (the client has this board)"}
    if op_id in ALSO_OK:
        also, also_schema, text = ALSO_OK[op_id]
        responses[str(also)] = {"description": text,
                                "content": {"application/json": {"schema": ref(also_schema)}}}
    operation: dict = {
        "operationId": op_id,
        "summary": summary,
        "tags": [path.split("/")[1].split(".")[0]],
        "responses": {
            **dict(sorted(responses.items())),
            **{str(code): {"$ref": f"#/components/responses/E{code}"} for code in sorted(statuses)},
        },
    }
    if auth == "public":
        operation["security"] = _OPTIONAL_AUTH
    else:
        operation["security"] = _WRITE_AUTH if method in UNSAFE else _READ_AUTH
    params = re.findall(r"{(\w+)}", path)
    parameters = [{"name": p, "in": "path", "required": True, "schema": PATH_PARAMETERS[p]}
                  for p in params]
    parameters += [{"name": name, "in": "query", "required": False, "schema": schema,
                    "description": text} for name, schema, text in QUERY_PARAMETERS.get(op_id, [])]
    if parameters:
        operation["parameters"] = parameters
    if body:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": ref(body)}},
        }
    return operation


@cache
def document() -> dict:
    """The OpenAPI 3.1 document (paths relative to the server URL /api/v1)."""
    paths: dict[str, dict] = {}
    for path, method, *rest in OPERATIONS:
        paths.setdefault(path, {})[method] = _operation(path, method, *rest)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "openspace API",
            "version": "1",
            "description": (
                "Run Open Space Technology unconferences: events, rooms, time slots, the "
                "marketplace of topics and the board. Errors are "
                '{"error": {"code", "message", "fields"?}}. Every board change increases '
                "the board's version by exactly one. See docs/api.md."
            ),
        },
        "servers": [{"url": "/api/v1"}],
        "security": _READ_AUTH,
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "responses": {
                f"E{code}": {
                    "description": text,
                    "content": {"application/json": {"schema": ref("Error")}},
                }
                for code, text in ERRORS.items()
            },
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http", "scheme": "bearer",
                    "description": "A token from POST /tokens. No CSRF token needed.",
                },
                "cookieAuth": {
                    "type": "apiKey", "in": "cookie", "name": "session",
                    "description": "The browser session of the web pages.",
                },
                "csrfToken": {
                    "type": "apiKey", "in": "header", "name": "X-CSRFToken",
                    "description": "With the session cookie, on POST, PUT, PATCH and DELETE: "
                                   "the token from GET /csrf.",
                },
            },
        },
    }
