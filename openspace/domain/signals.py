"""Signals sent by domain functions after their transaction commits.

realtime.py turns them into Socket.IO broadcasts, so every transport (pages, API, sockets, CLI)
updates live boards without a line of its own.
"""

from blinker import Namespace

_signals = Namespace()

# sender: the event id; kwargs: version, kind, topic (dict) or topic_id
board_changed = _signals.signal("board-changed")

# sender: the event id; kwargs: kind ("posted" | "deleted"), announcement (dict)
announcement_changed = _signals.signal("announcement-changed")

# sender: the topic id; kwargs: update (bytes, a committed Yjs update), origin (opaque: the
# sender's connection, which the relay skips; None relays to every reader)
note_updated = _signals.signal("note-updated")

# sender: the topic id; kwargs: update (bytes, a y-protocols awareness update), origin (as above)
note_awareness = _signals.signal("note-awareness")

# sender: the user id; kwargs: login (the ended browser login's id, or None for every session
# of the user), tokens (True: the user's API tokens were revoked). sockets.py cuts the user's
# live connections that relied on what ended.
sessions_ended = _signals.signal("sessions-ended")
