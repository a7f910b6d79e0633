"""Write transactions on SQLite under a real eventlet hub: a process's writers wait for each
other greenly, so one that gives the loop away inside its transaction cannot stall the rest."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import json, sys
    import eventlet
    eventlet.monkey_patch()

    import sqlalchemy as sa
    from config import TestConfig
    from openspace.app import create_app
    from openspace.extensions import db
    from openspace.domain.tx import writing

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = "sqlite:///" + sys.argv[1]
        ASYNC_MODE = "eventlet"

    app = create_app(Config)
    with app.app_context():
        db.session.execute(sa.text("CREATE TABLE marks (who TEXT)"))
        db.session.commit()

    order, ticks = [], []

    def writer(name, pause):
        with app.app_context():
            with writing():
                db.session.execute(sa.text("INSERT INTO marks VALUES (:who)"), {"who": name})
                order.append(name + " wrote")
                eventlet.sleep(pause)  # gives the loop away inside the transaction
            order.append(name + " committed")

    def heartbeat():
        for _ in range(20):
            ticks.append(len(order))
            eventlet.sleep(0.01)

    beat = eventlet.spawn(heartbeat)
    first = eventlet.spawn(writer, "first", 0.1)
    eventlet.sleep(0)  # the first holds the write turn and is inside its transaction
    second = eventlet.spawn(writer, "second", 0)
    first.wait(); second.wait(); beat.wait()
    with app.app_context():
        rows = [r[0] for r in db.session.execute(sa.text("SELECT who FROM marks"))]
    print(json.dumps({"order": order, "rows": rows, "ticks": ticks}))
""")


def test_writers_take_turns_greenly(tmp_path):
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", SCRIPT, str(tmp_path / "green.db")],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])

    # The second writer waited for the first's turn (not in SQLite's busy handler, which
    # would have stopped the loop the first needs to finish: "database is locked" after the
    # busy timeout), and both transactions committed.
    assert seen["order"] == ["first wrote", "first committed", "second wrote", "second committed"]
    assert seen["rows"] == ["first", "second"]
    # The loop kept running while the first transaction was open and the second waited.
    assert len(seen["ticks"]) == 20 and seen["ticks"][1] == 1
