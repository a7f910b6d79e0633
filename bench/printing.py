"""Printed signs and cards: how long WeasyPrint takes to make the PDFs.

    .venv/bin/python bench/printing.py [--topics 90] [--rounds 2]

The demo event (4 rooms, its sessions placed) plus --topics more topics on the marketplace,
through the app's own routes in a test client (SQLite in a temporary folder; the rate limit
reset before each request): the door signs of a day (A4, A6), one card, and every card (A4, A6).
Each PDF is made --rounds times: the first round includes loading WeasyPrint and scanning the
fonts. Prints pages, seconds and size per PDF.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topics", type=int, default=90)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    os.environ.update(OPENSPACE_DATABASE_URL=f"sqlite:///{folder}/bench.db",
                      OPENSPACE_INSTANCE_DIR=folder,
                      OPENSPACE_BASE_URL="https://openspace.example",
                      OPENSPACE_ALLOWED_HOSTS="localhost")

    import pypdf

    from openspace.app import create_app
    from openspace.demo import create_demo
    from openspace.domain import board, ratelimit
    from openspace.extensions import db
    from openspace.models import Event, User

    app = create_app()
    with app.app_context():
        db.create_all()
        create_demo()
        organizer = db.session.query(User).filter_by(email="kristof@example.org").one()
        event = db.session.query(Event).one()
        for number in range(args.topics):
            board.propose_topic(event=event, user=organizer, data={
                "title": f"Topic {number}: a title long enough to take two lines on a card"})
        user_id, slug = organizer.get_id(), event.slug
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = user_id, True
    paths = ["signs.pdf?size=a4", "signs.pdf?size=a6", "cards.pdf?size=a4&topic=1",
             "cards.pdf?size=a4", "cards.pdf?size=a6"]
    print(f"{'round':>5}  {'PDF':28s} {'pages':>5} {'seconds':>8} {'KiB':>6}")
    for round_ in range(1, args.rounds + 1):
        for path in paths:
            ratelimit.configure("memory://")
            started = time.perf_counter()
            response = client.get(f"/e/{slug}/print/{path}")
            took = time.perf_counter() - started
            assert response.status_code == 200, response.status_code
            pages = len(pypdf.PdfReader(io.BytesIO(response.data)).pages)
            size = len(response.data) / 1024
            print(f"{round_:>5}  {path:28s} {pages:>5} {took:8.2f} {size:6.0f}")


if __name__ == "__main__":
    main()
