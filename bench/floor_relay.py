"""The floor: a bare python-socketio relay on eventlet with openspace's event names.

No Flask, no database.

Clients `event:join` {slug} and get {ok, version}; a driver emits `board:place`
{topic_id, room_id, slot_id}; the relay refuses a taken cell, bumps the version, emits
`board:changed` {version, kind, topic} to everyone joined and acks {ok, topic} - the same order
of work as openspace's handler, minus everything openspace adds (Flask contexts, auth, the
database, the domain rules). Whatever openspace costs above this is ours.

    python bench/floor_relay.py --port 5001 [--max-connections 10000] [--version-start 0]

There is one event room, whatever the slug: the benchmark only ever uses one event.

Static files (for `bench/fanout.py --reconnect`): `--static /board.json=FILE` serves FILE's
bytes, read once into memory, at that path: always 200, no ETag, no compression (the naive
floor a thousand refetching clients are measured against).

Notes (for bench/notes.py): `note:join` {topic_id, state_vector} joins the note's room and acks
{ok, update, state_vector} of an empty document; `note:update` {topic_id, update} relays the
update's bytes unchanged to the room's other clients and acks {ok} - openspace's order of work
(ack after the relay is queued) without validating, storing or applying anything.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

import eventlet.wsgi  # noqa: E402
import socketio  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import topic_payload  # noqa: E402

from openspace.fdlimit import raise_file_limit  # noqa: E402

ROOM = "event:1"


def error(code: str, message: str) -> dict:
    return {"ok": False, "error": {"code": code, "message": message}}


def build_server(version_start: int = 0, ping_interval: int = 10,
                 ping_timeout: int = 10) -> socketio.Server:
    # The same heartbeat as openspace's defaults (config.py): a client whose backlog is longer
    # than interval + timeout gives up on either server alike.
    sio = socketio.Server(async_mode="eventlet", max_http_buffer_size=256 * 1024,
                          ping_interval=ping_interval, ping_timeout=ping_timeout)
    state = {"version": version_start}
    cells: dict[tuple[int, int], int] = {}

    @sio.on("connect")
    def on_connect(sid, environ, auth=None):
        return True

    @sio.on("event:join")
    def on_join(sid, data=None):
        if not isinstance(data, dict) or not isinstance(data.get("slug"), str):
            return error("validation_failed", "slug is required")
        sio.enter_room(sid, ROOM)
        return {"ok": True, "version": state["version"]}

    @sio.on("board:place")
    def on_place(sid, data=None):
        if not isinstance(data, dict):
            return error("validation_failed", "The message must be an object.")
        topic_id, room_id, slot_id = (data.get(k) for k in ("topic_id", "room_id", "slot_id"))
        if not all(isinstance(v, int) for v in (topic_id, room_id, slot_id)):
            return error("validation_failed", "topic_id, room_id and slot_id are required")
        holder = cells.get((room_id, slot_id))
        if holder is not None and holder != topic_id:
            return error("slot_taken", f"taken by topic {holder}")
        cells[(room_id, slot_id)] = topic_id
        state["version"] += 1
        topic = topic_payload(topic_id, room_id, slot_id)
        sio.emit("board:changed", {"version": state["version"], "kind": "placed", "topic": topic},
                 to=ROOM)
        return {"ok": True, "topic": topic}

    add_note_handlers(sio)
    return sio


EMPTY_UPDATE = b"\x00\x00"  # a Yjs update with nothing in it
EMPTY_STATE = b"\x00"  # the state vector of a Yjs document that has seen nothing


def add_note_handlers(sio: socketio.Server) -> None:
    """The note:* events as a relay: no document, no database, no checks beyond the shape."""

    def note_of(data) -> int | None:
        if not isinstance(data, dict):
            return None
        topic_id = data.get("topic_id")
        return topic_id if isinstance(topic_id, int) else None

    @sio.on("note:join")
    def on_note_join(sid, data=None):
        topic_id = note_of(data)
        if topic_id is None:
            return error("invalid", "topic_id is required")
        sio.enter_room(sid, f"note:{topic_id}")
        return {"ok": True, "update": EMPTY_UPDATE, "state_vector": EMPTY_STATE}

    @sio.on("note:update")
    def on_note_update(sid, data=None):
        topic_id = note_of(data)
        if topic_id is None or not isinstance(data.get("update"), bytes):
            return error("invalid", "topic_id and a binary update are required")
        sio.emit("note:update", {"topic_id": topic_id, "update": data["update"]},
                 to=f"note:{topic_id}", skip_sid=sid)
        return {"ok": True}


def with_static(app, files: dict[str, bytes]):
    """The WSGI app, with these paths answered from memory."""

    def wsgi(environ, start_response):
        body = files.get(environ.get("PATH_INFO", ""))
        if body is None:
            return app(environ, start_response)
        kind = "application/json" if environ["PATH_INFO"].endswith(".json") else \
            "text/html; charset=utf-8"
        start_response("200 OK", [("Content-Type", kind), ("Content-Length", str(len(body)))])
        return [body]

    return wsgi


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--max-connections", type=int, default=10_000)
    parser.add_argument("--version-start", type=int, default=0)
    parser.add_argument("--ping-interval", type=int, default=10)
    parser.add_argument("--ping-timeout", type=int, default=10)
    parser.add_argument("--static", action="append", default=[], metavar="PATH=FILE",
                        help="also serve FILE's bytes at PATH (repeatable)")
    args = parser.parse_args()

    raise_file_limit(args.max_connections + 256)
    sio = build_server(args.version_start, args.ping_interval, args.ping_timeout)
    app = socketio.WSGIApp(sio)
    if args.static:
        files = {}
        for item in args.static:
            path, _, name = item.partition("=")
            with open(name, "rb") as file:
                files[path] = file.read()
        app = with_static(app, files)
    print(f"floor relay: serving on http://{args.host}:{args.port} (eventlet, up to "
          f"{args.max_connections} connections)", flush=True)
    # Same listen socket and server call as Flask-SocketIO's socketio.run() under eventlet.
    eventlet.wsgi.server(eventlet.listen((args.host, args.port)), app, log_output=False,
                         max_size=args.max_connections)


if __name__ == "__main__":
    main()
