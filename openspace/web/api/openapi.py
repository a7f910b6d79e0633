"""The OpenAPI 3.1 document of /api/v1, built from Python data.

Length limits and choices come from domain/validation.py and the model enums, so the document
follows the rules. tests/api/test_openapi.py compares its (path, method) pairs with the app's
real routes in both directions, so the two cannot drift apart.
"""

from __future__ import annotations

import re
from functools import cache

from ...domain import validation as v
from ...models import BoardState, Role, SlotKind, TopicStatus, Visibility

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


ID = {"type": "integer", "minimum": 1}
NULLABLE_ID = {"type": ["integer", "null"], "minimum": 1}
DATE = string(format="date", examples=["2026-11-23"])
LOCAL_TIME = string(
    pattern=r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$", examples=["2026-11-23T10:00"],
    description="Local date and time in the event's time zone, without an offset.",
)
CAPACITY = {"type": ["integer", "null"], "minimum": 1, "maximum": v.CAPACITY_MAX}
TAGS = array(string(v.TAG_MAX), maxItems=v.TAGS_MAX,
             description="Short tags; a leading # is dropped and tags are lower-cased.")

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
}

SCHEMAS: dict[str, dict] = {
    "Error": obj({
        "error": obj({
            "code": string(examples=["slot_taken"]),
            "message": string(),
            "fields": {"type": "object", "additionalProperties": {"type": "string"},
                       "description": "Field name -> what is wrong with it."},
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
        "label": string(v.TOKEN_LABEL_MAX, description="To recognise the token later."),
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
        "join_code": string(16, description="Only shown to the event's organizers."),
    }, ("slug", "name", "timezone", "starts_on", "ends_on", "visibility", "board_state",
        "summary_published")),
    "EventList": obj({"events": array(ref("Event"))}, ("events",)),
    "EventCreate": obj({
        **_event_settings,
        "slug": string(v.SLUG_MAX, pattern=v.SLUG_RE.pattern,
                       description="The address; made from the name when left out."),
    }, ("name", "timezone", "starts_on"), closed=True),
    "EventPatch": obj({
        **_event_settings,
        "board_state": {**enum(BoardState),
                        "description": "locked: only organizers change the board."},
        "summary_published": {"type": "boolean"},
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
        "kind": {**enum(SlotKind), "default": "session",
                 "description": "Only session slots hold topics."},
        "label": string(v.SLOT_LABEL_MAX),
    }, ("starts_at", "ends_at"), closed=True),
    "SlotPatch": obj({"starts_at": LOCAL_TIME, "ends_at": LOCAL_TIME, "kind": enum(SlotKind),
                      "label": string(v.SLOT_LABEL_MAX)}, closed=True),
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
        "description": string(v.DESCRIPTION_MAX, description="Plain text; may span lines."),
        "tags": TAGS,
    }, ("title",), closed=True),
    "TopicPatch": obj({
        "title": string(v.TITLE_MAX, minLength=1),
        "description": string(v.DESCRIPTION_MAX),
        "tags": TAGS,
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
    409: "conflict: slot_taken, convener_busy, email_taken, slug_taken, topic_inactive, ...",
    413: "request_entity_too_large: the body exceeds the server's limit",
    429: "rate_limited: too many changes; wait Retry-After seconds",
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
     (201, "Member"), (404,), "user"),
    ("/events/{slug}/members", "get", "listMembers", "The members (for members)", None,
     (200, "MemberList"), (403, 404), "user"),
    ("/events/{slug}/members/{user_id}/role", "put", "setRole",
     "Make a member co-organizer or participant (organizers)", "RoleChange",
     (200, "Member"), (403, 404, 409), "user"),
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
    ("/topics/{topic_id}/swap", "post", "swapTopics",
     "Exchange the cells of two topics (organizers)", "Swap", (200, "TopicPair"),
     (403, 404, 409), "user"),
    ("/topics/{topic_id}/merge", "post", "mergeTopics",
     "Fold a duplicate into another topic (organizers)", "Merge", (200, "Topic"),
     (403, 404, 409), "user"),
    ("/topics/{topic_id}/notes", "get", "getNotes", "The session's shared note as Markdown",
     None, (200, "Notes"), (404,), "public"),
]

PATH_PARAMETERS = {
    "slug": string(v.SLUG_MAX, description="The event's address"),
    "room_id": ID, "slot_id": ID, "user_id": ID, "topic_id": ID,
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
        # csrf_failed for cookie clients; per-user limits (and the per-account login limit)
        statuses |= {400, 429}
    status, schema = ok
    success: dict = {"description": "OK" if status < 300 else "Created"}
    if status == 204:
        success = {"description": "Done; no content"}
    elif schema:
        success["content"] = {"application/json": {"schema": ref(schema)}}
    else:
        success["content"] = {"application/json": {"schema": {"type": "object"}}}
    operation: dict = {
        "operationId": op_id,
        "summary": summary,
        "tags": [path.split("/")[1].split(".")[0]],
        "responses": {
            str(status): success,
            **{str(code): {"$ref": f"#/components/responses/E{code}"} for code in sorted(statuses)},
        },
    }
    if auth == "public":
        operation["security"] = _OPTIONAL_AUTH
    else:
        operation["security"] = _WRITE_AUTH if method in UNSAFE else _READ_AUTH
    params = re.findall(r"{(\w+)}", path)
    if params:
        operation["parameters"] = [
            {"name": p, "in": "path", "required": True, "schema": PATH_PARAMETERS[p]}
            for p in params
        ]
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
