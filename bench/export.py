"""Exports of a big event: seed a 200-session event with notes and photos, time every format.

    python bench/export.py                  # 10 rooms x 20 slots, a note and a photo per session
    python bench/export.py --sessions 200 --rounds 7 --photos 1 --out export-bench.json

Everything goes through the real code: the event, topics, placement and interest through the
domain functions; each note through the CRDT path (Yjs updates appended one edit at a time, as
editors send them, then compacted the way the server does); each photo through the upload
pipeline (a phone-sized JPEG, resized and stripped). The timings are for the same calls the
pages and the command line make, on a fresh SQLite database in a temporary folder (or
OPENSPACE_DATABASE_URL), in one process:

  html  GET /e/{slug}/summary as a logged-in organizer (test client: routing, permission,
        template; no network)
  md    GET /e/{slug}/summary.md        zip   GET /e/{slug}/summary.zip
  json  GET /e/{slug}/summary.json (photos inlined as base64, the backup)
  ics   GET /e/{slug}/schedule.ics
The first round of each format runs cold (the per-text caches of rendered notes and the note
documents in memory emptied first, as in a new process); the rest are warm. The budget
(docs/performance.md, "Exports") is 2 s for each format.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta

BUDGET_S = 2.0
FORMATS = {
    "html": "/e/{slug}/summary",
    "md": "/e/{slug}/summary.md",
    "zip": "/e/{slug}/summary.zip",
    "json": "/e/{slug}/summary.json",
    "ics": "/e/{slug}/schedule.ics",
}
SUBJECTS = ["shared tooling", "knowledge management", "marketing Drupal", "distributions",
            "back-office systems", "product pitches", "fighting FUD", "partner programs"]


def report(n: int, title: str, convener: str, rng: random.Random) -> str:
    """A session report as people write them: the template's sections, filled in."""
    people = ", ".join(f"Person {rng.randrange(1, 60)}" for _ in range(rng.randrange(4, 12)))
    points = "\n".join(
        f"- {rng.choice(SUBJECTS).capitalize()} works when **{rng.choice(['owners', 'teams'])}** "
        f"{rng.choice(['share', 'measure', 'publish'])} it; see [notes](https://example.org/{n})"
        for _ in range(rng.randrange(4, 9)))
    actions = "\n".join(
        f"- [{'x' if rng.random() < .3 else ' '}] Follow up on {rng.choice(SUBJECTS)} "
        f"@person{rng.randrange(1, 60)}" for _ in range(rng.randrange(1, 4)))
    return (f"# {title}\n\n## Convener\n{convener}\n\n## Participants\n{people}\n\n"
            f"## Key points\n{points}\n\n## Recommendations\n"
            "Start small, write it down, share it with the other shops.\n\n"
            f"## Resources\n- https://example.org/resources/{n}\n\n## Action items\n{actions}\n")


def photo(rng: random.Random) -> io.BytesIO:
    """A phone-sized JPEG (2400x1800) with some structure and sensor-like noise, so that it
    weighs what a flipchart photo does once stored (~350 KB at 2000x1500)."""
    from PIL import Image, ImageDraw, ImageFilter

    image = Image.new("RGB", (2400, 1800), (245, 244, 238))
    draw = ImageDraw.Draw(image)
    for _ in range(60):
        x, y = rng.randrange(2300), rng.randrange(1700)
        colour = tuple(rng.randrange(256) for _ in range(3))
        draw.rectangle((x, y, x + rng.randrange(20, 300), y + rng.randrange(5, 60)), fill=colour)
    noise = Image.effect_noise(image.size, 30).convert("RGB")
    image = Image.blend(image, noise, 0.25).filter(ImageFilter.GaussianBlur(0.6))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    out.seek(0)
    return out


def seed(app, *, sessions: int, photos_per_session: int, rng: random.Random) -> None:
    from pycrdt import Doc, Text

    from openspace.domain import accounts, board, events, notes, photos
    from openspace.extensions import db

    rooms = 10
    per_day = 10
    days = -(-sessions // (rooms * per_day))
    with app.app_context():
        organizer = accounts.register_user(email="organizer@example.org",
                                           password="bench-password", name="Organizer")
        start = date(2026, 11, 23)
        event = events.create_event(user=organizer, data={
            "name": "Export benchmark", "slug": "export-bench", "timezone": "Europe/Brussels",
            "starts_on": start.isoformat(), "ends_on": (start + timedelta(days=days - 1))
            .isoformat(), "visibility": "public", "theme": "How big can a book get?",
            "hashtag": "#exportbench", "venue": "Brussels"})
        room_ids = [events.add_room(event=event, user=organizer,
                                    data={"name": f"Room {r + 1}", "capacity": 30}).id
                    for r in range(rooms)]
        slot_ids = []
        for d in range(days):
            day = start + timedelta(days=d)
            for s in range(per_day):
                begin = 8 * 60 + s * 50
                slot_ids.append(events.add_slot(event=event, user=organizer, data={
                    "starts_at": f"{day}T{begin // 60:02d}:{begin % 60:02d}",
                    "ends_at": f"{day}T{(begin + 45) // 60:02d}:{(begin + 45) % 60:02d}"}).id)
        members = []
        for m in range(20):
            user = accounts.create_quick_user(name=f"Member {m + 1}")
            events.join_event(event=event, user=user, join_code=event.join_code)
            members.append(user)
        cells = [(r, s) for s in slot_ids for r in room_ids][:sessions]
        for n, (room_id, slot_id) in enumerate(cells, start=1):
            convener = members[n % len(members)]
            title = f"Session {n}: {rng.choice(SUBJECTS)} between Drupal shops"
            topic = board.propose_topic(event=event, user=convener, data={
                "title": title, "description": "Bring examples, numbers and tools you tried.",
                "tags": ["bench"]})
            board.place_topic(topic=topic, user=convener, room_id=room_id, slot_id=slot_id)
            for member in rng.sample(members, 4):
                board.set_interest(topic=topic, user=member, interested=True)
            # The note, typed in a few dozen edits on top of the report template.
            update, _ = notes.join_note(topic=topic, user=convener)
            doc = Doc()
            text = doc.get(notes.ROOT, type=Text)
            doc.apply_update(update)
            body = report(n, title, convener.name, rng)
            before = doc.get_state()
            text.clear()
            notes.apply_update(topic=topic, user=convener, update=doc.get_update(before))
            for start_at in range(0, len(body), 60):
                before = doc.get_state()
                text += body[start_at:start_at + 60]
                notes.apply_update(topic=topic, user=convener, update=doc.get_update(before))
            for p in range(photos_per_session):
                photos.add_photo(topic=topic, user=convener, upload=photo(rng),
                                 caption=f"Flipchart {p + 1}")
            if n % 20 == 0:
                print(f"  seeded {n}/{sessions} sessions", file=sys.stderr, flush=True)
        db.session.remove()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--photos", type=int, default=1, help="photos per session")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", help="write the figures as JSON here too")
    parser.add_argument("--folder", help="keep the seeded database here and reuse it next time "
                        "(default: a new temporary folder)")
    args = parser.parse_args()

    folder = args.folder or tempfile.mkdtemp(prefix="export-bench-")
    os.makedirs(folder, exist_ok=True)
    seeded = os.path.exists(os.path.join(folder, "bench.db"))
    os.environ.setdefault("OPENSPACE_DATABASE_URL", f"sqlite:///{folder}/bench.db")
    os.environ.setdefault("OPENSPACE_INSTANCE_DIR", folder)
    os.environ.setdefault("OPENSPACE_SECRET_KEY", "export-bench")
    os.environ.setdefault("OPENSPACE_ASYNC_MODE", "threading")  # no server runs here
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from openspace import create_app
    from openspace.extensions import db
    from openspace.models import User

    app = create_app()
    slug = "export-bench"
    if not seeded:
        with app.app_context():
            db.create_all()
        began = time.perf_counter()
        seed(app, sessions=args.sessions, photos_per_session=args.photos, rng=random.Random(42))
        print(f"seeded {args.sessions} sessions in {time.perf_counter() - began:.1f} s "
              f"({folder})", file=sys.stderr)

    client = app.test_client()
    with app.app_context():
        organizer = db.session.scalar(db.select(User).where(User.email == "organizer@example.org"))
        session_id = organizer.get_id()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True

    from openspace.domain import notes, summary

    figures: dict[str, dict] = {}
    for name, path in FORMATS.items():
        # Cold: as in a process that has not read these notes yet (each format on its own).
        summary.forget_cached()
        notes._cache.clear()  # the note documents kept in memory (JSON reads their CRDT state)
        timings, cpu = [], []
        size = 0
        for _ in range(args.rounds):
            t0, c0 = time.perf_counter(), time.process_time()
            response = client.get(path.format(slug=slug))
            timings.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            assert response.status_code == 200, (name, response.status_code)
            size = len(response.data)
        warm, warm_cpu = timings[1:] or timings, cpu[1:] or cpu
        figures[name] = {"cold_s": round(timings[0], 3), "cold_cpu_s": round(cpu[0], 3),
                         "median_s": round(statistics.median(warm), 3),
                         "median_cpu_s": round(statistics.median(warm_cpu), 3),
                         "max_s": round(max(warm), 3), "bytes": size}

    load = os.getloadavg()[0]
    print(f"\n{args.sessions} sessions, {args.photos} photo(s) each, {args.rounds} rounds "
          f"(first cold); load average {load:.1f} on {os.cpu_count()} cores\n")
    print("| format | cold (CPU) | warm median (CPU) | warm max | size | within 2 s |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for name, f in figures.items():
        ok = "yes" if max(f["cold_s"], f["max_s"]) < BUDGET_S else "**no**"
        print(f"| {name} | {f['cold_s'] * 1000:.0f} ms ({f['cold_cpu_s'] * 1000:.0f}) | "
              f"{f['median_s'] * 1000:.0f} ms ({f['median_cpu_s'] * 1000:.0f}) | "
              f"{f['max_s'] * 1000:.0f} ms | {f['bytes'] / 1e6:.2f} MB | {ok} |")
    if args.out:
        with open(args.out, "w") as file:
            json.dump({"sessions": args.sessions, "photos_per_session": args.photos,
                       "rounds": args.rounds, "load_average": load, "formats": figures},
                      file, indent=1)


if __name__ == "__main__":
    main()
