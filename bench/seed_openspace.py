"""Seed a fresh openspace database for the fan-out benchmark, through the domain functions.

Run with OPENSPACE_INSTANCE_DIR pointing at an upgraded, empty instance folder:

    python bench/seed_openspace.py --rooms 10 --slots 40 --drivers 1 --topics 30 --out plan.json

Creates one public event (slug `fanout-bench`) with ROOMS rooms and SLOTS 15-minute session
slots, an organizer, and DRIVERS member accounts that each propose TOPICS topics and get an API
token. Listeners need no account: anyone may join a public event's room. Writes the plan
(slug, board version, room / slot ids, each driver's token and topic ids) as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date, datetime, timedelta

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import DRIVER_NAME, ROOM_CAPACITY, SLUG, topic_fields  # noqa: E402

PASSWORD = "bench-password-not-secret"


def seed(rooms: int, slots: int, drivers: int, topics: int) -> dict:
    from openspace import create_app
    from openspace.domain import accounts, board, events
    from openspace.extensions import db

    app = create_app()
    with app.app_context():
        organizer = accounts.register_user(email="organizer@example.org", password=PASSWORD,
                                           name="Bench organizer")
        today = date.today()
        event = events.create_event(user=organizer, data={
            "name": "Fan-out benchmark", "slug": SLUG, "timezone": "UTC",
            "starts_on": today.isoformat(), "ends_on": today.isoformat(),
            "visibility": "public",
        })
        room_ids = [events.add_room(event=event, user=organizer,
                                    data={"name": f"Room {r + 1}", "capacity": ROOM_CAPACITY}).id
                    for r in range(rooms)]
        start = datetime.combine(today, datetime.min.time()) + timedelta(hours=6)
        slot_ids = []
        for s in range(slots):
            begin = start + timedelta(minutes=15 * s)
            slot_ids.append(events.add_slot(event=event, user=organizer, data={
                "starts_at": begin.isoformat(timespec="minutes"),
                "ends_at": (begin + timedelta(minutes=15)).isoformat(timespec="minutes"),
                "kind": "session"}).id)
        plan_drivers = []
        next_id = 1
        for d in range(drivers):
            user = accounts.register_user(email=f"driver{d}@example.org", password=PASSWORD,
                                          name=DRIVER_NAME)
            events.join_event(event=event, user=user, join_code=event.join_code)
            token = accounts.create_token(user=user, label="fan-out bench")
            ids = []
            for _ in range(topics):
                topic = board.propose_topic(event=event, user=user, data=topic_fields(next_id))
                if topic.id != next_id:  # the floor relay builds payloads from these ids
                    raise SystemExit(f"expected topic id {next_id}, got {topic.id}: "
                                     "not a fresh database?")
                ids.append(topic.id)
                next_id += 1
            plan_drivers.append({"user_id": user.id, "token": token, "topics": ids})
        db.session.refresh(event)
        return {"slug": event.slug, "version": event.board_version, "rooms": room_ids,
                "slots": slot_ids, "drivers": plan_drivers}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=10)
    parser.add_argument("--slots", type=int, default=40)
    parser.add_argument("--drivers", type=int, default=1)
    parser.add_argument("--topics", type=int, default=30)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    plan = seed(args.rooms, args.slots, args.drivers, args.topics)
    with open(args.out, "w") as fh:
        json.dump(plan, fh)


if __name__ == "__main__":
    main()
