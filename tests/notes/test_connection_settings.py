"""Socket.IO heartbeat settings (how soon a dropped phone is noticed) and photo processing off
the event loop (other clients keep being served while a photo is resized)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import config
from config import TestConfig
from openspace import create_app
from openspace.extensions import socketio

ROOT = Path(__file__).resolve().parents[2]


def test_ping_interval_and_timeout_reach_the_socket_server(tmp_path):
    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'test.db'}"
        PING_INTERVAL = 7
        PING_TIMEOUT = 4

    create_app(Config)

    assert (socketio.server.eio.ping_interval, socketio.server.eio.ping_timeout) == (7, 4)


def test_default_heartbeat_notices_a_dropped_client_within_twenty_seconds():
    assert (TestConfig.PING_INTERVAL, TestConfig.PING_TIMEOUT) == (10, 10)


@pytest.mark.parametrize("value, message", [
    ("soon", "OPENSPACE_PING_TIMEOUT must be a whole number of seconds, not 'soon'"),
    ("0", "OPENSPACE_PING_TIMEOUT must be at least 1 second, not 0"),
])
def test_a_bad_heartbeat_setting_stops_start_up_with_a_clear_message(monkeypatch, value,
                                                                     message):
    monkeypatch.setenv("OPENSPACE_PING_TIMEOUT", value)

    with pytest.raises(ValueError) as error:
        config._seconds("OPENSPACE_PING_TIMEOUT", 10)

    assert str(error.value) == message


def test_a_heartbeat_setting_from_the_environment_is_used(monkeypatch):
    monkeypatch.setenv("OPENSPACE_PING_INTERVAL", " 15 ")

    assert config._seconds("OPENSPACE_PING_INTERVAL", 10) == 15


# A server process in miniature: patched for the async mode, the real app and photo pipeline.
# An upload and another client's request are two green threads started in that order; with the
# pipeline on the event loop the upload would finish before the other client got a turn.
SERVER = r"""
import io, sys
mode = sys.argv[1]
if mode == "eventlet":
    import eventlet
    eventlet.monkey_patch()
    spawn = eventlet.spawn
else:
    from gevent import monkey
    monkey.patch_all()
    import gevent
    spawn = gevent.spawn
from PIL import Image
from config import TestConfig
from openspace import create_app
from openspace.domain import photos

class Config(TestConfig):
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    ASYNC_MODE = mode

create_app(Config)
image = Image.effect_noise((2400, 1600), 60).convert("RGB")
upload = io.BytesIO()
image.save(upload, "JPEG", quality=85)
order = []

def add_photo():
    processed = photos.process_image(io.BytesIO(upload.getvalue()))
    order.append(f"photo {processed.width}x{processed.height}")

def other_client():
    order.append("other client served")

workers = [spawn(add_photo), spawn(other_client)]
for worker in workers:
    worker.join() if mode == "gevent" else worker.wait()
print(" / ".join(order))
"""


@pytest.mark.parametrize("mode", ["eventlet", "gevent"])
def test_other_clients_are_served_while_a_photo_is_processed(mode):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENSPACE_")}
    env["PYTHONWARNINGS"] = "ignore"

    run = subprocess.run([sys.executable, "-c", SERVER, mode], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)

    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "other client served / photo 2000x1333"


def _config_in_a_fresh_interpreter(**env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "import config"], cwd=ROOT, text=True,
                          capture_output=True, timeout=60, env={**os.environ, **env})


def test_a_socket_timeout_within_the_heartbeat_stops_start_up():
    # A live WebSocket hears from its client once per ping: a shorter timeout would cut it.
    done = _config_in_a_fresh_interpreter(OPENSPACE_PING_INTERVAL="10",
                                          OPENSPACE_PING_TIMEOUT="10",
                                          OPENSPACE_SOCKET_TIMEOUT="20")

    assert done.returncode != 0
    assert ("OPENSPACE_SOCKET_TIMEOUT (20 s) must be longer than the ping interval plus "
            "timeout (20 s)") in done.stderr
    assert _config_in_a_fresh_interpreter(OPENSPACE_SOCKET_TIMEOUT="21").returncode == 0


@pytest.mark.parametrize("value, expected", [("", 0), (" 1 ", 1), ("2", 2)])
def test_trusted_proxies_from_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv("OPENSPACE_TRUSTED_PROXIES", value)

    assert config._count("OPENSPACE_TRUSTED_PROXIES", 0) == expected


def test_a_bad_trusted_proxies_setting_stops_start_up(monkeypatch):
    monkeypatch.setenv("OPENSPACE_TRUSTED_PROXIES", "yes")

    with pytest.raises(ValueError) as error:
        config._count("OPENSPACE_TRUSTED_PROXIES", 0)

    assert str(error.value) == ("OPENSPACE_TRUSTED_PROXIES must be a whole number (0 or more), "
                                "not 'yes'")
