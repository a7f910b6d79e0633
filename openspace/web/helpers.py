"""Template globals and filters shared by every page."""

from __future__ import annotations

from flask import Flask, current_app, request, url_for
from flask_login import current_user

from ..domain import permissions
from ..models import Event


def join_url(event: Event) -> str:
    """The link attendees open (or scan) to join; OPENSPACE_BASE_URL wins over the request host."""
    path = url_for("auth.quick_join", slug=event.slug, code=event.join_code)
    base = current_app.config.get("BASE_URL") or request.host_url.rstrip("/")
    return base + path


def register(app: Flask) -> None:
    @app.context_processor
    def _globals():
        def role(event: Event):
            return permissions.role_in(current_user, event)

        return {
            "role_in": role,
            "is_organizer": lambda event: permissions.is_organizer(current_user, event),
            "join_url": join_url,
        }

    @app.template_filter("hm")
    def _hm(value) -> str:
        return value.strftime("%H:%M") if value else ""

    @app.template_filter("dayname")
    def _dayname(value) -> str:
        return value.strftime("%A %-d %B") if value else ""
