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

# sender: the event id; kwargs: kind ("mode" | "join_address"), mode (the projector mode now)
projector_changed = _signals.signal("projector-changed")

# sender: the topic id; kwargs: update (bytes, a committed Yjs update), origin (opaque: the
# sender's connection, which the relay skips; None relays to every reader)
note_updated = _signals.signal("note-updated")

# sender: the topic id; kwargs: update (bytes, a y-protocols awareness update), origin (as above)
note_awareness = _signals.signal("note-awareness")

# sender: the user id; kwargs: login (the ended browser login's id, or None for every session
# of the user), tokens (True: the user's API tokens were revoked). sockets.py cuts the user's
# live connections that relied on what ended.
sessions_ended = _signals.signal("sessions-ended")

# sender: the event id; kwargs: topic_ids (the event's topics: their note rooms), deleted (True:
# the event is gone). Sent after a change of who may see the event (visibility, membership,
# role) commits: realtime.py has every server process re-check who is in the event's rooms.
access_changed = _signals.signal("access-changed")

# sender: the event id; kwargs: counts (list of Headcount dicts: topic_id, room_id, here,
# coming, capacity, over_capacity) of the sessions a check-in or check-out changed
headcount_changed = _signals.signal("headcount-changed")

# sender: the event id; kwargs: queue (domain/pitches.py queue_state: the pitch queue after the
# change, with its version)
pitch_changed = _signals.signal("pitch-changed")
