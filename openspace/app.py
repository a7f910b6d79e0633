"""The app factory: create_app() registers extensions, blueprints, error handlers and commands."""

from __future__ import annotations

import math
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, g, jsonify, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from config import Config

from . import grants
from .domain import ratelimit, tx
from .domain.errors import DomainError, RateLimited, Unavailable
from .extensions import compress, csrf, db, login_manager, migrate, socketio
from .i18n import _
from .jsonwire import BoundedJSONProvider, SocketJSON

ROOT = Path(__file__).resolve().parent.parent


def create_app(config_class: type = Config) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        instance_path=str(ROOT / "instance"),
    )
    app.config.from_object(config_class)
    check_mail_url(app)
    app.json = BoundedJSONProvider(app)  # request bodies: nesting bounded before parsing
    register_extensions(app)
    register_i18n(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_commands(app)
    register_template_helpers(app)
    register_security(app)
    register_limits(app)
    return app


def check_mail_url(app: Flask) -> None:
    """A mistyped OPENSPACE_MAIL_URL stops the start: else mail would count as on and every
    mail would wait for a server that cannot be reached (ValueError names what is wrong)."""
    from .domain.mail import transport

    if app.config.get("MAIL_URL"):
        transport.parse_url(app.config["MAIL_URL"])


def register_extensions(app: Flask) -> None:
    from .domain.tx import configure_sqlite

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    compress.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    from . import auth_loaders  # noqa: F401  (registers the user and token loaders)

    register_sockets(app)  # handlers must exist before the first init_app copies them
    ratelimit.configure(app.config["RATELIMIT_STORAGE"], prefix=app.config["MESSAGE_QUEUE_CHANNEL"])
    grants.configure(app.config["MESSAGE_QUEUE"], prefix=app.config["MESSAGE_QUEUE_CHANNEL"])
    socketio.init_app(
        app,
        async_mode=app.config["ASYNC_MODE"],
        message_queue=app.config["MESSAGE_QUEUE"],
        channel=app.config["MESSAGE_QUEUE_CHANNEL"],
        **_client_manager(app),
        cors_allowed_origins=app.config["CORS_ORIGINS"] or None,
        max_http_buffer_size=256 * 1024,
        json=SocketJSON,  # socket messages: nesting bounded before parsing
        ping_interval=app.config["PING_INTERVAL"],
        ping_timeout=app.config["PING_TIMEOUT"],
    )


def _client_manager(app: Flask) -> dict:
    """Redis fan-out through realtime.RedisQueue (it also repairs lost messages), else one
    process's realtime.BoardDelivery (both send batched board changes to the clients that ask);
    always named, because the one socketio object keeps options from an earlier app (tests make
    many)."""
    from .realtime import BoardDelivery, RedisQueue

    url = app.config["MESSAGE_QUEUE"]
    window = app.config["BOARD_BATCH_WINDOW"]
    if url and url.startswith(("redis://", "rediss://", "unix://")):
        return {"client_manager": RedisQueue(url, channel=app.config["MESSAGE_QUEUE_CHANNEL"],
                                             app=app, batch_window=window)}
    if url:  # another kind of queue: Flask-SocketIO builds it (and board changes go singly)
        socketio.server_options.pop("client_manager", None)
        return {}
    return {"client_manager": BoardDelivery(batch_window=window)}


def register_blueprints(app: Flask) -> None:
    from .web.converters import IdConverter

    app.url_map.converters["id"] = IdConverter  # before any route that uses <id:...>
    from .web.api import bp as api_bp
    from .web.auth import bp as auth_bp
    from .web.board import bp as board_bp
    from .web.events import bp as events_bp
    from .web.projector import bp as projector_bp
    from .web.topics import bp as topics_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(events_bp)
    app.register_blueprint(board_bp)
    app.register_blueprint(topics_bp)
    app.register_blueprint(projector_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    from .web.notes import bp as notes_bp  # session notes: rendering, action items, photos
    app.register_blueprint(notes_bp)
    from .web.summary import bp as summary_bp  # the book of proceedings, exports, calendars
    app.register_blueprint(summary_bp)
    from .web.admin import bp as admin_bp  # instance admins: events, accounts, mail, log
    app.register_blueprint(admin_bp)
    from .web.printing import bp as printing_bp  # room signs and session cards, printed
    app.register_blueprint(printing_bp)
    from .web.pwa import bp as pwa_bp  # the installable app: manifest, service worker, offline
    app.register_blueprint(pwa_bp)
    from .web.advisor import bp as advisor_bp  # organizers: the schedule advisor
    app.register_blueprint(advisor_bp)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _http_messages() -> dict[int, str]:
    """Werkzeug's own descriptions of the HTTP errors, in the language being spoken (an error
    raised with a message of ours keeps it: those are translated where they are raised)."""
    return {
        400: _("The browser sent a request this server could not understand."),
        401: _("You need to log in to see this."),
        403: _("You do not have permission to see this."),
        404: _("This page does not exist. If you typed the address, check its spelling."),
        405: _("This page cannot be used that way."),
        413: _("What you sent is too large."),
        429: _("Too many requests. Wait a moment, then try again."),
        500: _("Something went wrong on the server. Try again in a moment."),
    }


# Flask-WTF's reasons for refusing a form (its CSRFError descriptions), in the language spoken.
def _csrf_messages() -> dict[str, str]:
    return {
        "The CSRF token is missing.": _("The CSRF token is missing."),
        "The CSRF session token is missing.": _("The CSRF session token is missing."),
        "The CSRF token has expired.": _("The CSRF token has expired."),
        "The CSRF token is invalid.": _("The CSRF token is invalid."),
        "The CSRF tokens do not match.": _("The CSRF tokens do not match."),
    }


def _http_message(error: HTTPException) -> str:
    if error.description != type(error).description:
        return error.description
    return _http_messages().get(error.code, error.description)


def register_errorhandlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        db.session.rollback()
        headers = {}
        if isinstance(error, RateLimited):
            headers["Retry-After"] = str(math.ceil(error.extra.get("retry_after") or 1))
        if _wants_json():
            return jsonify(error=error.to_dict()), error.status, headers
        return render_template("error.html", error=error), error.status, headers

    @app.errorhandler(sa.exc.SQLAlchemyError)
    def database_error(error: sa.exc.SQLAlchemyError):
        if not tx.unreachable(error):
            raise error
        _forget_connection()
        # The error page must not load the logged-in user (that needs the database too).
        g._login_user = login_manager.anonymous_user()
        return domain_error(Unavailable())

    @socketio.on_error_default
    def socket_error(error: Exception):
        # Flask-SocketIO makes this the ack: the contract's error ack for a database outage.
        if not (isinstance(error, sa.exc.SQLAlchemyError) and tx.unreachable(error)):
            raise error
        _forget_connection()
        if request.event["message"] == "connect":
            return False  # who the client is could not be checked: refuse, it reconnects
        return {"ok": False, "error": Unavailable().to_dict()}

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        body = {"code": "csrf_failed",
                "message": _csrf_messages().get(error.description, error.description)}
        if _wants_json():
            return jsonify(error=body), 400
        return render_template("error.html", error=body, status=400), 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        code = (error.name or "error").lower().replace(" ", "_")
        body = {"code": code, "message": _http_message(error)}
        # The exception's own headers stay (a 405's Allow, which RFC 9110 requires).
        headers = [(k, value) for k, value in error.get_headers() if k.lower() != "content-type"]
        if _wants_json():
            return jsonify(error=body), error.code, headers
        return render_template("error.html", error=body, status=error.code), error.code, headers


def _forget_connection() -> None:
    try:
        db.session.rollback()
    except sa.exc.SQLAlchemyError:  # the connection is gone already
        db.session.remove()


def register_sockets(app: Flask) -> None:
    # Importing registers the signal receivers and the socket handlers on the unbound socketio;
    # Flask-SocketIO copies handlers into each server it creates only if they were declared
    # before its first init_app.
    from . import realtime, sockets  # noqa: F401


def register_i18n(app: Flask) -> None:
    from .web import i18n, theme

    i18n.register(app)
    theme.register(app)  # the light/dark switch, a preference beside the language


def register_security(app: Flask) -> None:
    from .web import assets, security

    security.register(app)
    assets.register(app)  # fingerprinted, compressed static files; pages revalidated


def register_limits(app: Flask) -> None:
    from .web import limits

    limits.register(app)


def register_commands(app: Flask) -> None:
    from .cli import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from .web import helpers

    helpers.register(app)

    @app.before_request
    def _remember_user():
        g.user = current_user
