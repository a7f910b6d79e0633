"""What the floor relay and the openspace seed share, so both send the same `board:changed` bytes.

Topic ids are assigned 1, 2, 3, ... in a fresh openspace database in the order the seed proposes
them, and the floor relay builds the topic for an id from the same text, so a `board:changed`
message weighs the same (within a few bytes of version digits) on both servers.
"""

from __future__ import annotations

SLUG = "fanout-bench"
DRIVER_NAME = "Bench driver"
CONVENER_ID = 2  # the first driver account in a fresh openspace database (the organizer is 1)
ROOM_CAPACITY = 30

_SUBJECTS = ["shared tooling", "knowledge management", "marketing Drupal", "distributions",
             "back-office systems", "product pitches", "fighting FUD", "partner programs"]


def topic_fields(topic_id: int) -> dict:
    """Title, description and tags of the benchmark topic with this id (~300 bytes as JSON)."""
    subject = _SUBJECTS[topic_id % len(_SUBJECTS)]
    return {
        "title": f"Session {topic_id}: {subject} between Drupal shops",
        "description": (
            f"What do shops use for {subject}? Should we eat our own dogfood or use what the "
            "wider web community uses? Bring examples, numbers and the tools you tried."
        ),
        "tags": ["bench", subject.split()[0]],
    }


def topic_payload(topic_id: int, room_id: int, slot_id: int) -> dict:
    """The topic as openspace's serialize.topic_dict shapes it, for a topic placed in a cell."""
    return {
        "id": topic_id,
        **topic_fields(topic_id),
        "convener": {"id": CONVENER_ID, "name": DRIVER_NAME},
        "room_id": room_id,
        "slot_id": slot_id,
        "status": "placed",
        "interest_count": 0,
        "over_capacity": False,
        "merged_into_id": None,
    }
