"""A real `openspace serve` process for tests that need real sockets and a real browser.

It runs the same command the README does, on a fresh SQLite file with migrations and the demo
event, on a free port of 127.0.0.1.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import requests

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "openspace-demo"
START_TIMEOUT = 120


# What `prepare` made, once per process: commands run -> the database file they left.
_prepared: dict[tuple, Path] = {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, instance_dir: Path, *, host: str = "127.0.0.1", **env: str) -> None:
        # host: the address it listens on ("0.0.0.0": every interface, as phones need); the
        # tests reach it at 127.0.0.1 either way.
        self.host = host
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "OPENSPACE_INSTANCE_DIR": str(instance_dir),
                    "OPENSPACE_DATABASE_URL": f"sqlite:///{instance_dir / 'live.db'}",
                    "OPENSPACE_SECRET_KEY": "live-test-secret", **env}
        self.process: subprocess.Popen | None = None

    def command(self, *args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "openspace", *args], env=self.env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120, check=True)
        return done.stdout

    def run_all(self, commands: tuple[tuple[str, ...], ...]) -> None:
        """Run these `openspace` commands one after the other in one process: what each would
        do on its own, with the app imported once (~1.5 s a process) instead of once each."""
        script = ("import openspace.entry\nfrom openspace.cli import cli\n"
                  f"for args in {list(map(list, commands))!r}:\n"
                  "    cli.main(args=args, prog_name='openspace', standalone_mode=False)\n")
        done = subprocess.run([sys.executable, "-c", script], env=self.env, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        if done.returncode:
            raise RuntimeError(f"openspace {commands} failed:\n{done.stdout}{done.stderr}")

    def prepare(self, *commands: tuple[str, ...]) -> LiveServer:
        """Run these commands (`("db", "upgrade"), ("demo",)`...) on the server's new database
        file, from a copy of what they made the first time in this process: each of them is a
        process that imports the whole app (migrations, the demo's scrypt passwords), seconds
        that every live server of the suite paid again for the very same file. The demo dates
        its event today, so the copy is made again on another day. A database that is not this
        server's own SQLite file (PostgreSQL) gets the commands themselves."""
        from openspace.demo import TIMEZONE

        database = self.env["OPENSPACE_DATABASE_URL"].removeprefix("sqlite:///")
        target = Path(self.env["OPENSPACE_INSTANCE_DIR"]) / "live.db"
        if Path(database) != target or target.exists():
            self.run_all(commands)
            return self
        key = (commands, datetime.now(ZoneInfo(TIMEZONE)).date())
        if key not in _prepared:
            folder = Path(tempfile.mkdtemp(prefix="openspace-live-"))
            own = ("OPENSPACE_INSTANCE_DIR", "OPENSPACE_DATABASE_URL")
            maker = LiveServer(folder, **{name: value for name, value in self.env.items()
                                          if name not in own and os.environ.get(name) != value})
            maker.run_all(commands)
            _prepared[key] = folder / "live.db"
        shutil.copyfile(_prepared[key], target)
        return self

    def start(self) -> LiveServer:
        for _attempt in range(3):
            self.process = subprocess.Popen(
                [sys.executable, "-m", "openspace", "serve", "--host", self.host,
                 "--port", str(self.port)],
                env=self.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                text=True)
            # A bound, not a speed: on a loaded machine running the suite in parallel a start
            # has taken 20 s and more.
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                try:
                    requests.get(self.url + "/", timeout=10)
                    return self
                except (requests.ConnectionError, requests.Timeout):  # not listening or busy
                    if self.process.poll() is not None:
                        output = self.process.stdout.read()
                        self.process.stdout.close()
                        break
                    if time.monotonic() > deadline:
                        self.stop(kill=True)
                        raise RuntimeError(
                            f"server did not start in {START_TIMEOUT} s") from None
                    time.sleep(0.1)
            # Tests run in parallel: another one may have taken the free port in between.
            if "Address already in use" not in output:
                break
            self.port = free_port()
            self.url = f"http://127.0.0.1:{self.port}"
        raise RuntimeError("server exited:\n" + output)

    def stop(self, *, kill: bool = False) -> None:
        if self.process and self.process.poll() is None:
            if kill:
                self.process.kill()
            else:
                self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process and self.process.stdout:
            self.process.stdout.close()

    def token(self, email: str, password: str = DEMO_PASSWORD) -> str:
        response = requests.post(self.url + "/api/v1/tokens",
                                 json={"email": email, "password": password}, timeout=10)
        response.raise_for_status()
        return response.json()["token"]

    def api(self, method: str, path: str, token: str, **kwargs) -> requests.Response:
        return requests.request(method, self.url + "/api/v1" + path, timeout=10,
                                headers={"Authorization": f"Bearer {token}"}, **kwargs)


def close_socket(sock) -> None:
    """Disconnect a python-socketio client and close its transports: a socket the server cut
    (or a server killed with -9) may be left open on this side."""
    if sock.connected:
        sock.disconnect()
    for name in ("ws", "http"):
        transport = getattr(sock.eio, name, None)
        if transport is not None:
            transport.close()


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05):
    """Poll until predicate() is truthy (bounded); return its value or raise AssertionError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")
