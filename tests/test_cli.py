"""The `openspace` command: demo, db upgrade and serve, run for real."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from openspace.demo import SLUG, TOPICS, create_demo
from openspace.extensions import db
from openspace.models import Event, Topic, TopicStatus

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.database
def test_demo_builds_the_brussels_weekend_once(ctx):
    message = create_demo()
    assert f"/e/{SLUG}" in message
    event = db.session.scalar(sa.select(Event).where(Event.slug == SLUG))
    topics = db.session.scalars(sa.select(Topic).where(Topic.event_id == event.id)).all()
    titles = {t.title for t in topics}
    assert {"Knowledge management", "Fighting FUD", "Marketing Drupal",
            "Do we need an app store?"} <= titles
    assert len(topics) == len(TOPICS)
    assert sum(t.status == TopicStatus.PLACED for t in topics) == sum(
        1 for *_, cell in TOPICS if cell)
    assert len(event.rooms) == 4
    assert "exists already" in create_demo()
    assert db.session.scalar(sa.select(sa.func.count(Event.id))) == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _openspace(*args: str, env: dict, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "openspace", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, check=True)


def test_fresh_instance_upgrades_seeds_and_serves_the_demo(tmp_path):
    env = {**os.environ, "OPENSPACE_INSTANCE_DIR": str(tmp_path),
           "OPENSPACE_DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}"}
    _openspace("db", "upgrade", env=env)
    assert "Demo event created" in _openspace("demo", env=env).stdout
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "openspace", "serve", "--port", str(port)],
        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/e/{SLUG}", timeout=5)
                break
            except requests.ConnectionError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        assert response.status_code == 200
        assert "Knowledge management" in response.text
        board = requests.get(f"http://127.0.0.1:{port}/api/v1/events/{SLUG}/board", timeout=5)
        assert board.json()["event"]["name"] == "Drupal CXO Brussels"
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0]
    assert "eventlet" in output


@pytest.mark.database
def test_board_lock_from_the_cli_needs_an_organizer(app):
    from openspace.domain.events import get_event

    runner = app.test_cli_runner()
    with app.app_context():
        create_demo()
    refused = runner.invoke(args=["board", "lock", SLUG, "--as", "roel@example.org"])
    assert refused.exit_code != 0 and "Only organizers" in refused.output
    locked = runner.invoke(args=["board", "lock", SLUG, "--as", "kristof@example.org"])
    assert locked.exit_code == 0, locked.output
    with app.app_context():
        assert get_event(SLUG, None).board_state == "locked"


def test_serve_refuses_a_stall_report_that_is_not_a_number_of_seconds(tmp_path):
    env = {**os.environ, "OPENSPACE_INSTANCE_DIR": str(tmp_path),
           "OPENSPACE_DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}"}
    for bad in ("soon", "-1", "nan"):
        result = subprocess.run(
            [sys.executable, "-m", "openspace", "serve", "--port", str(_free_port())],
            env={**env, "OPENSPACE_STALL_REPORT": bad}, cwd=ROOT, capture_output=True,
            text=True, timeout=60)
        assert result.returncode == 1
        assert "OPENSPACE_STALL_REPORT must be a number of seconds above 0" in result.stderr
        assert repr(bad) in result.stderr
