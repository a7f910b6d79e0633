"""The `openspace` command group: serve, demo, plus Flask's own (db upgrade, routes, shell)."""

from __future__ import annotations

import resource

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext


def _create_app() -> Flask:
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False,
             load_dotenv=False, set_debug_flag=False)
def cli() -> None:
    """Run and manage an openspace instance."""


def _raise_file_limit(wanted: int) -> int:
    """Each socket is a file descriptor: lift the soft limit as far as the hard limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, envvar="OPENSPACE_HOST")
@click.option("--port", default=5000, show_default=True, type=int, envvar="OPENSPACE_PORT")
@click.option("--max-connections", default=10_000, show_default=True, type=int,
              envvar="OPENSPACE_MAX_CONNECTIONS",
              help="Concurrent connections (eventlet's own default is 1,024).")
@with_appcontext
def serve(host: str, port: int, max_connections: int) -> None:
    """Serve the app and its Socket.IO endpoint (eventlet by default, or gevent)."""
    from .extensions import socketio

    app = current_app._get_current_object()
    limit = _raise_file_limit(max_connections + 256)
    mode = socketio.async_mode
    click.echo(f"openspace: serving on http://{host}:{port} ({mode}, up to "
               f"{max_connections} connections, fd limit {limit})")
    kwargs: dict = {"log_output": False}
    if mode == "eventlet":
        kwargs["max_size"] = max_connections
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=mode == "threading", **kwargs)


@cli.command("demo")
@click.option("--reset", is_flag=True, help="Delete an existing demo event first.")
@with_appcontext
def demo(reset: bool) -> None:
    """Create the demo event (the Drupal CXO weekend in Brussels) with rooms, slots and people."""
    from .demo import create_demo

    result = create_demo(reset=reset)
    click.echo(result)


def register(app: Flask) -> None:
    """Commands also reachable as `flask --app openspace ...`."""
    app.cli.add_command(demo)
