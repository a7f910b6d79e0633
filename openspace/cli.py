"""The `openspace` command group: serve, demo, plus Flask's own (db upgrade, routes, shell)."""

from __future__ import annotations

import gc
import importlib.util
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
    app.config["SERVE_HOST"] = host  # the join QR warns when no phone can reach this address
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
    if app.config["MAIL_URL"] and app.config["MAIL_WORKER"] and mode != "threading":
        from .domain.mail import queue

        # A green thread: SMTP waits are cooperative, so a slow server holds up nobody.
        socketio.start_background_task(queue.run_worker, app, sleep=socketio.sleep)
        click.echo("openspace: sending mail from this process (OPENSPACE_MAIL_WORKER=0: not)")
    kwargs: dict = {"log_output": False}
    # Idle and silent connections are closed after OPENSPACE_SOCKET_TIMEOUT (no socket is
    # held forever by a client that stopped talking; live WebSockets hear a pong every ping).
    timeout = app.config["SOCKET_TIMEOUT"]
    if mode == "eventlet":
        kwargs["max_size"] = max_connections
        kwargs["socket_timeout"] = timeout
    elif mode == "gevent" and importlib.util.find_spec("geventwebsocket") is None:
        # (gevent-websocket, if installed, brings Flask-SocketIO's own handler class instead.)
        kwargs["handler_class"] = _gevent_handler(timeout)
    socketio.run(app, host=host, port=port, allow_unsafe_werkzeug=mode == "threading", **kwargs)


def _gevent_handler(timeout: float) -> type:
    """gevent's WSGI handler with a socket timeout (gevent's own has none): a connection that
    stays silent that long is closed quietly."""
    from gevent.pywsgi import WSGIHandler  # gevent only when the server runs on it

    class TimeoutHandler(WSGIHandler):
        def handle(self) -> None:
            self.socket.settimeout(timeout)
            try:
                super().handle()  # closes the socket however it ends
            except TimeoutError:
                pass

    return TimeoutHandler


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


@cli.group("admin")
def admin_group() -> None:
    """Instance admins: who may see every event and account at /admin."""


def _set_admin(email: str, admin: bool) -> None:
    from .domain import admin as admin_domain
    from .domain.errors import DomainError

    try:
        user = admin_domain.set_admin(email=email, admin=admin)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"{user.email} is {'now' if admin else 'no longer'} an instance admin.")


@admin_group.command("add")
@click.argument("email")
@with_appcontext
def admin_add(email: str) -> None:
    """Make the account with this email an instance admin."""
    _set_admin(email, True)


@admin_group.command("remove")
@click.argument("email")
@with_appcontext
def admin_remove(email: str) -> None:
    """Make the account with this email an ordinary account again."""
    _set_admin(email, False)


@admin_group.command("list")
@with_appcontext
def admin_list() -> None:
    """Show the instance admins."""
    from .domain import admin as admin_domain

    for user in admin_domain.admins():
        click.echo(f"{user.email}\t{user.name}")


@cli.group("mail")
def mail_group() -> None:
    """Outgoing mail: the worker that sends the queue, sign-in links by hand."""


@mail_group.command("worker")
@click.option("--once", is_flag=True, help="Send what is due now, then stop.")
@with_appcontext
def mail_worker(once: bool) -> None:
    """Send queued mail (beside `openspace serve` with OPENSPACE_MAIL_WORKER=0, or as well:
    any number of workers share the queue, and each mail goes out once)."""
    from .domain.mail import MailOff, queue

    app = current_app._get_current_object()
    if not app.config["MAIL_URL"]:
        raise click.ClickException(MailOff.message)
    if once:
        click.echo(f"sent {queue.send_due()} mail(s)")
        return
    click.echo(f"openspace: mail worker {queue.worker_name()} started")
    queue.run_worker(app)


@mail_group.command("link")
@click.argument("email")
@click.option("--base-url", envvar="OPENSPACE_BASE_URL", default="http://localhost:5000",
              show_default=True, help="This site's address, for the link.")
@with_appcontext
def mail_link(email: str, base_url: str) -> None:
    """Print a sign-in link (one use, one hour) for the account with this email, to hand over
    yourself: how people without a password get in when the server sends no mail."""
    from flask import url_for

    from .domain.errors import DomainError
    from .domain.mail import tokens

    try:
        user, secret = tokens.issue_signin_link(email=email)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    with current_app.test_request_context(base_url=base_url):
        click.echo(url_for("auth.signin_link", token=secret, _external=True))


def register(app: Flask) -> None:
    """Commands also reachable as `flask --app openspace ...`."""
    app.cli.add_command(demo)
    app.cli.add_command(board_group)
    app.cli.add_command(export_command)
    app.cli.add_command(import_command)
    app.cli.add_command(admin_group)
    app.cli.add_command(mail_group)
