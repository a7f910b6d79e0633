"""The `openspace` command group: serve, demo, plus Flask's own (db upgrade, routes, shell)."""

from __future__ import annotations

import gc
import os

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from .fdlimit import raise_file_limit


def _create_app() -> Flask:
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False,
             load_dotenv=False, set_debug_flag=False)
def cli() -> None:
    """Run and manage an openspace instance."""


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
    limit = raise_file_limit(max_connections + 256)
    # Everything loaded at start-up lives for the whole process: move it out of the garbage
    # collector's sight, so full collections (which pause every socket) stay short. Measured
    # in docs/performance.md: full-GC pauses set the board fan-out's p99.
    gc.collect()
    gc.freeze()
    mode = socketio.async_mode
    click.echo(f"openspace: serving on http://{host}:{port} ({mode}, up to "
               f"{max_connections} connections, fd limit {limit})")
    stall = _stall_report(os.environ.get("OPENSPACE_STALL_REPORT"))
    if stall and mode != "threading":
        from . import watchdog

        watchdog.start(stall, sleep=socketio.sleep, spawn=socketio.start_background_task)
    kwargs: dict = {"log_output": False}
    if mode == "eventlet":
        kwargs["max_size"] = max_connections
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=mode == "threading", **kwargs)


def _stall_report(value: str | None) -> float | None:
    """OPENSPACE_STALL_REPORT: seconds (a number > 0), or unset/empty for off."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds < 3600:
        raise click.ClickException(
            f"OPENSPACE_STALL_REPORT must be a number of seconds above 0, like 0.5; not {value!r}")
    return seconds


@cli.command("demo")
@click.option("--reset", is_flag=True, help="Delete an existing demo event first.")
@with_appcontext
def demo(reset: bool) -> None:
    """Create the demo event (the Drupal CXO weekend in Brussels) with rooms, slots and people."""
    from .demo import create_demo

    result = create_demo(reset=reset)
    click.echo(result)


@cli.group("board")
def board_group() -> None:
    """Change an event's board from the command line (broadcast like any other change)."""


def _set_state(slug: str, email: str, state: str) -> None:
    import sqlalchemy as sa

    from .domain import events
    from .domain.errors import DomainError
    from .extensions import db
    from .models import User

    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    try:
        event = events.get_event(slug, user)
        events.set_board_state(event=event, user=user, state=state)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"{slug}: board {state} (version {event.board_version})")


@board_group.command("lock")
@click.argument("slug")
@click.option("--as", "email", required=True, help="Email of an organizer of the event.")
@with_appcontext
def board_lock(slug: str, email: str) -> None:
    """Lock the board: only organizers can change the agenda."""
    _set_state(slug, email, "locked")


@board_group.command("unlock")
@click.argument("slug")
@click.option("--as", "email", required=True, help="Email of an organizer of the event.")
@with_appcontext
def board_unlock(slug: str, email: str) -> None:
    """Open the board again for members."""
    _set_state(slug, email, "open")


@cli.command("export")
@click.argument("slug")
@click.option("--format", "fmt", type=click.Choice(["md", "zip", "json", "ics"]), default="json",
              show_default=True, help="md: the summary as one Markdown document; zip: Markdown "
              "per session + photos + index; json: the whole event (the backup); ics: the "
              "schedule.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="File to write (default: standard output).")
@click.option("--base-url", envvar="OPENSPACE_BASE_URL", default="http://localhost",
              show_default=True, help="This site's address, for links to photos and sessions.")
@with_appcontext
def export_command(slug: str, fmt: str, output: str | None, base_url: str) -> None:
    """Export an event, published or not. JSON from here is the backup: it holds emails and the
    join code, which web downloads leave out."""
    import sqlalchemy as sa

    from .domain import backup, exports, ical, summary
    from .extensions import db
    from .models import Event
    from .web.summary import routes

    event = db.session.scalar(sa.select(Event).where(Event.slug == slug))
    if event is None:
        raise click.ClickException(f"No event with the slug {slug!r}.")
    with current_app.test_request_context(base_url=base_url):
        if fmt == "json":
            data = backup.dumps(backup.export_event(event, private=True)).encode()
        elif fmt == "md":
            data = exports.summary_markdown(summary.build_summary(event),
                                            photo_url=routes._photo_url).encode()
        elif fmt == "zip":
            data = exports.summary_zip(summary.build_summary(event))
        else:
            data = ical.schedule_ics(event, domain=routes._domain(), topic_url=routes._topic_url)
    if output:
        with open(output, "wb") as file:
            file.write(data)
        click.echo(f"{slug}: wrote {output} ({len(data):,} bytes)", err=True)
    else:
        click.get_binary_stream("stdout").write(data)


@cli.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--slug", help="Import under this address instead of the file's.")
@with_appcontext
def import_command(file, slug: str | None) -> None:
    """Create an event from a JSON export (`openspace export SLUG --format json`): restore a
    backup, or move an event to another instance. All or nothing."""
    from .domain import backup
    from .domain.errors import DomainError

    try:
        event = backup.import_event(backup.loads(file.read()), slug=slug)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Imported {event.slug}: {len(event.topics)} topics, {len(event.rooms)} rooms, "
               f"{len(event.slots)} time slots, {len(event.memberships)} members.")


def register(app: Flask) -> None:
    """Commands also reachable as `flask --app openspace ...`."""
    app.cli.add_command(demo)
    app.cli.add_command(board_group)
    app.cli.add_command(export_command)
    app.cli.add_command(import_command)
