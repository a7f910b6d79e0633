"""A real `openspace serve` process for tests that need real sockets and a real browser.

It runs the same command the README does, on a fresh SQLite file with migrations and the demo
event, on a free port of 127.0.0.1.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
DEMO_PASSWORD = "openspace-demo"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, instance_dir: Path, **env: str) -> None:
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

    def start(self) -> LiveServer:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "openspace", "serve", "--port", str(self.port)],
            env=self.env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(self.url + "/", timeout=2)
                return self
            except requests.ConnectionError:
                if self.process.poll() is not None:
                    raise RuntimeError("server exited:\n" + self.process.stdout.read()) from None
                if time.monotonic() > deadline:
                    raise RuntimeError("server did not start in 30 s") from None
                time.sleep(0.1)

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


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05):
    """Poll until predicate() is truthy (bounded); return its value or raise AssertionError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")
