"""Template globals and filters shared by every page."""

from __future__ import annotations

import segno
from flask import Flask, current_app, g, request, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from .. import netaddrs
from ..domain import permissions, pitches, projector, times
from ..i18n import _
from ..models import Event


def event_link(event: Event, path: str) -> projector.JoinLink:
    """An absolute link for phones to open (or scan): OPENSPACE_BASE_URL wins over the request
    host; a host only this machine reaches (127.0.0.1, localhost) gives way to one of its
    network addresses (domain/projector.py)."""
    return projector.join_link(
        event, path=path,
        base=current_app.config.get("BASE_URL") or request.host_url.rstrip("/"),
        addresses=[a.ip for a in netaddrs.lan_addresses()],
        listen_host=current_app.config.get("SERVE_HOST"))


def join_link(event: Event) -> projector.JoinLink:
    """The link attendees open (or scan) to join the event."""
    return event_link(event, url_for("auth.quick_join", slug=event.slug, code=event.join_code))


def qr_svg(url: str, *, title: str, scale: int = 6) -> Markup:
    """A link as an inline SVG QR code (no external service: venues are offline), sized by the
    page's CSS; the projector's join code and the printed signs and cards use it."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(scale=scale, dark="#111", light="#fff", border=2, omitsize=True,
                          title=title)
    return Markup(svg)  # noqa: S704 - segno's own markup; the URL is data inside the code


def join_url(event: Event) -> str:
    return join_link(event).url


def csrf_value() -> str:
    """The CSRF token a form carries: none in what is rendered once for many viewers
    (g.shared_render: the board's cached live fragments), where live.js puts in the page's."""
    return "" if g.get("shared_render") else generate_csrf()


def register(app: Flask) -> None:
    app.jinja_env.globals["csrf_value"] = csrf_value

    @app.context_processor
    def _globals():
        def role(event: Event):
            return permissions.role_in(current_user, event)

        return {
            "role_in": role,
            "is_organizer": lambda event: permissions.is_organizer(current_user, event),
            "join_url": join_url,
            "browser_locale": times.browser_locale,
        }

    # Dates and times: every one goes through domain/times.py (the event's clock and zone).
    app.add_template_filter(times.clock, "hm")  # 10:05
    app.add_template_filter(times.day, "dayname")  # Monday 23 November
    app.add_template_filter(times.weekday, "weekday")  # Mon
    app.add_template_filter(times.weekday_clock, "weekday_hm")  # Mon 10:05
    app.add_template_filter(times.short_day, "short_day")  # Mon 23 Nov

    @app.template_filter("pitch_left")
    def _pitch_left(ends_at: str, server_time: str) -> str:  # a pitch's countdown: "0:42"
        left = pitches.seconds_left(ends_at, server_time)
        return f"{left // 60}:{left % 60:02d}" if left > 0 else _("Time!")

    @app.template_filter("zone")
    def _zone(event: Event, at=None) -> str:  # "JST": {{ event|zone }}, {{ event|zone(day) }}
        return times.zone(event, at)

    @app.template_filter("zone_long")
    def _zone_long(event: Event, at=None) -> str:  # "Asia/Tokyo (JST, UTC+9)"
        return times.zone_long(event, at)

    @app.template_filter("local")
    def _local(utc_naive, event: Event):  # a stored UTC instant on the event's clock
        return times.to_local(event, utc_naive)

    @app.template_filter("moment")
    def _moment(utc_naive, event: Event) -> str:  # a stored UTC instant: "18:05 JST"
        return times.moment(event, utc_naive)
