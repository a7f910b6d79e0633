"""The wall screen (projector view) and the organizers' announcements."""

from __future__ import annotations

import segno
from flask import flash, redirect, render_template, request, url_for
from markupsafe import Markup

from ...domain import announcements, board, events, summary
from ...domain.errors import ValidationFailed
from ...domain.permissions import is_organizer
from ...models import SlotKind
from ..helpers import join_url
from ..pages import login_required, me
from . import bp


def _qr_svg(url: str) -> Markup:
    """The join link as an inline SVG QR code (no external service: venues are offline)."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(scale=6, dark="#111", light="#fff", border=2, omitsize=True)
    return Markup(svg)  # noqa: S704 - segno's own markup; the URL is data inside the code


def _projector_day(event):
    """The day to show: today by the event's clock, else the first (or last) day."""
    today = board.local_now(event).date()
    grouped = board.days(event)
    if not grouped:
        return None, []
    for day, slots in grouped:
        if day == today:
            return day, slots
    return grouped[0] if today < grouped[0][0] else grouped[-1]


def _news(event, mode: str | None, clock) -> list:
    """Morning and evening news: the freshly written reports, shown instead of the grid with
    ?mode=news, or by itself between time slots when there is news (?mode=board: never)."""
    if mode == "board":
        return []
    items = summary.news(event)
    if mode == "news" or summary.between_slots(event, clock):
        return items
    return []


@bp.route("/e/<slug>/projector")
def show(slug):
    event = events.get_event(slug, me())
    mode = request.args.get("mode")
    clock = board.local_now(event)
    news = _news(event, mode, clock)
    day, slots = _projector_day(event)
    placed = {(t.room_id, t.slot_id): t for t in board.active_topics(event) if t.room_id}
    link = join_url(event)
    return render_template(
        "projector/show.html", event=event, day=day, slots=slots, placed=placed,
        join_link=link, qr=_qr_svg(link), session_kind=SlotKind.SESSION,
        announcements=announcements.recent(event), clock=clock,
        news=news, news_mode=bool(news) or mode == "news",
    )


@bp.route("/e/<slug>/announcements", methods=["GET", "POST"])
@login_required
def announcements_page(slug):
    event = events.get_event(slug, me())
    typed, status = "", 200
    if request.method == "POST":
        typed = request.form.get("text", "")
        try:
            announcements.post_announcement(event=event, user=me(), text=typed)
        except ValidationFailed as error:  # keep what was typed; other refusals are error pages
            flash("News " + error.fields.get("text", error.message), "error")
            status = error.status
        else:
            flash("Announced on every board and the projector.", "success")
            return redirect(url_for(".announcements_page", slug=slug))
    return render_template("projector/announcements.html", event=event, typed=typed,
                           items=announcements.recent(event, limit=50),
                           organizer=is_organizer(me(), event),
                           text_max=announcements.TEXT_MAX), status


@bp.post("/e/<slug>/announcements/<int:announcement_id>/delete")
@login_required
def delete_announcement(slug, announcement_id):
    event = events.get_event(slug, me())
    announcements.delete_announcement(event=event, user=me(),
                                      announcement_id=announcement_id)
    flash("Announcement removed.", "success")
    return redirect(url_for(".announcements_page", slug=slug))
