"""Real PostgreSQL, Redis and nginx for the scale-out tests, each started by the test itself.

The machine's shared PostgreSQL and Redis belong to everyone working on it: tests that stop or
restart a server start their own (a throwaway `redis-server`, a PostgreSQL cluster made by
`initdb` in a temporary folder), on free ports, and remove them afterwards. nginx runs as an
unprivileged process with its own prefix and the config text docs/deploy.md shows
(deploy/nginx.conf).

A missing binary skips these tests on a developer's machine and fails them in CI (CI=true),
where .ci/run installs them.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import redis
import requests
import sqlalchemy as sa

from tests.live import ROOT, free_port, wait_for

NGINX_SITE = ROOT / "deploy" / "nginx.conf"
NGINX_USER = "nobody"


def require(name: str, path: str | None = None) -> str:
    """The binary's path; skip without it (fail in CI, which must have installed it)."""
    found = path if path and os.access(path, os.X_OK) else shutil.which(name)
    if found:
        return found
    message = f"{name} is not installed (.ci/run installs it)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def postgres_url() -> str:
    """The PostgreSQL test database (make test-postgres sets OPENSPACE_TEST_DATABASE_URL)."""
    url = os.environ.get("OPENSPACE_TEST_DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "postgresql+psycopg2://")):
        pytest.skip("scale-out tests need PostgreSQL: they run in `make test-postgres`")
    return url


def unique_channel() -> str:
    """A Redis pub/sub channel and key prefix of this test's own (channels span db numbers)."""
    return f"openspace-test-{uuid.uuid4().hex[:12]}"


def empty_database(url: str) -> None:
    from config import database_url

    engine = sa.create_engine(database_url(url))
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        engine.dispose()


def _unprivileged(user: str) -> list[str]:
    """Run as a plain user when we are root: PostgreSQL refuses root, nginx needs no more."""
    if os.geteuid() != 0:
        return []
    return [require("runuser", "/usr/sbin/runuser"), "-u", user, "--"]


def _own_dir(prefix: str, user: str) -> Path:
    """A fresh folder the (unprivileged) server owns. Not under pytest's tmp_path: its parents
    are private to root, so that user could not reach it."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    _give(path, user)
    return path


def _give(path: Path, user: str) -> None:
    if os.geteuid() == 0:
        entry = pwd.getpwnam(user)
        for each in (path, *path.rglob("*")):
            os.chown(each, entry.pw_uid, entry.pw_gid)


class RedisServer:
    """A throwaway redis-server on a free port that keeps nothing on disk."""

    def __init__(self) -> None:
        self.binary = require("redis-server")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = Path(tempfile.mkdtemp(prefix="openspace-redis-"))
        self.process: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url, socket_connect_timeout=1)

        def up() -> bool:
            try:
                return bool(client.ping())
            except redis.ConnectionError:
                return False

        wait_for(up, timeout=20)
        client.close()
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def _postgres_binary(name: str) -> str:
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                        key=lambda p: int(Path(p).parent.parent.name))
    return require(name, candidates[-1] if candidates else None)


class PostgresCluster:
    """A PostgreSQL cluster of the test's own (initdb in a temp folder, trust on localhost)."""

    def __init__(self) -> None:
        self.initdb = _postgres_binary("initdb")
        self.pg_ctl = _postgres_binary("pg_ctl")
        self.port = free_port()
        self.dir = _own_dir("openspace-pg-", "postgres")
        self.data = self.dir / "data"
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._run(self.initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "--no-sync", "-E", "UTF8")

    def _run(self, *args: str) -> None:
        subprocess.run([*_unprivileged("postgres"), *args], check=True, capture_output=True,
                       timeout=120)

    def start(self) -> PostgresCluster:
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 "
                   f"-c unix_socket_directories={self.dir}")
        self._run(self.pg_ctl, "-D", str(self.data), "-o", options, "-l",
                  str(self.dir / "log"), "-w", "-t", "60", "start")
        return self

    def stop(self, mode: str = "immediate") -> None:
        """`immediate` is a crash as far as the data goes: only what was committed survives."""
        self._run(self.pg_ctl, "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")

    def close(self) -> None:
        try:
            self.stop("fast")
        except subprocess.CalledProcessError:
            pass  # not running
        shutil.rmtree(self.dir, ignore_errors=True)


class Nginx:
    """nginx in front of server processes, with deploy/nginx.conf as docs/deploy.md shows it.

    Only addresses are changed: the site's listen port and its two upstream servers."""

    def __init__(self, *upstream_ports: int) -> None:
        self.binary = require("nginx", "/usr/sbin/nginx")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.dir = _own_dir("openspace-nginx-", NGINX_USER)
        site = render_site(NGINX_SITE.read_text(), listen=self.port, upstreams=upstream_ports)
        (self.dir / "openspace.conf").write_text(site)
        for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.dir / temp).mkdir()
        (self.dir / "nginx.conf").write_text(f"""
worker_processes 1;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {self.dir}/body;
    proxy_temp_path {self.dir}/proxy;
    fastcgi_temp_path {self.dir}/fastcgi;
    uwsgi_temp_path {self.dir}/uwsgi;
    scgi_temp_path {self.dir}/scgi;
    include {self.dir}/openspace.conf;
}}
""")
        _give(self.dir, NGINX_USER)
        self.process: subprocess.Popen | None = None

    def start(self) -> Nginx:
        self.process = subprocess.Popen(
            [*_unprivileged(NGINX_USER), self.binary, "-p", str(self.dir),
             "-e", str(self.dir / "error.log"), "-c", str(self.dir / "nginx.conf"),
             "-g", "daemon off;"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

        def up() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError("nginx exited:\n" + self.process.stdout.read()
                                   + self.error_log())
            try:
                requests.get(self.url + "/", timeout=2)
                return True
            except requests.ConnectionError:
                return False

        wait_for(up, timeout=30)
        return self

    def error_log(self) -> str:
        try:
            return (self.dir / "error.log").read_text()
        except OSError:
            return ""

    def close(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.process and self.process.stdout:
            self.process.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def render_site(text: str, *, listen: int, upstreams: tuple[int, ...]) -> str:
    """deploy/nginx.conf with the test's ports: `listen 80;` and the upstream servers
    127.0.0.1:8001, :8002 (what the doc's systemd units use)."""
    assert text.count("listen 80;") == 1
    text = text.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    for n, port in enumerate(upstreams, start=1):
        old = f"server 127.0.0.1:800{n};"
        assert text.count(old) == 1, old
        text = text.replace(old, f"server 127.0.0.1:{port};")
    return text


def settle(seconds: float) -> None:
    """Give background work (a process's Redis listener reconnecting) a moment; never asserted."""
    time.sleep(seconds)
