"""Printed room signs and session cards (a page to print, and a PDF), and where their QR codes
lead when scanned. The rules (what is on them, which sessions, in which order) are
domain/printing.py's."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, redirect, render_template, request, url_for
from markupsafe import Markup

from ...domain import events, printing
from ...i18n import _, direction, in_language
from ..helpers import event_link, qr_svg
from ..pages import login_required, me
from . import bp

STYLESHEET = "css/print.css"


def _stylesheet() -> str:
    return (Path(current_app.static_folder) / STYLESHEET).read_text(encoding="utf-8")


def _sheet(slug: str, kind: str) -> printing.Sheet:
    event = events.get_event(slug, me())
    base = event_link(event, "").url  # the address phones reach, found once for every code
    return printing.sheet(
        event=event, user=me(), kind=kind, size=request.args.get("size"),
        day=request.args.get("day"), room_id=request.args.get("room"),
        topic_id=request.args.get("topic"),
        notes_url=lambda topic: base + url_for("printing.scan", topic_id=topic.id,
                                               code=event.join_code))


def _pages(sheet: printing.Sheet) -> Markup:
    """The signs or cards themselves, in the event's language (the page around them speaks
    the viewer's)."""
    with in_language(sheet.event.language):
        return Markup(render_template(  # noqa: S704 - a template of ours, autoescaped
            "printing/_pages.html", sheet=sheet, event=sheet.event,
            qr=lambda url: qr_svg(url, title=_("QR code of the session's notes"), scale=4)))


@bp.get("/e/<slug>/print")
@login_required
def index(slug):
    event = events.get_event(slug, me())
    sheet = printing.sheet(event=event, user=me(), kind="signs", notes_url=lambda topic: "")
    return render_template("printing/index.html", event=event, sheet=sheet,
                           days=printing.event_days(event), sizes=printing.SIZES)


def _page(kind: str, slug: str):
    sheet = _sheet(slug, kind)
    return render_template("printing/sheet.html", sheet=sheet, event=sheet.event,
                           pages=_pages(sheet), direction=direction(sheet.event.language),
                           sizes=printing.SIZES, query=_query(sheet))


def _query(sheet: printing.Sheet) -> dict:
    """The sheet's choices as query arguments (for the PDF link and the size switch)."""
    query = {"size": sheet.size_key}
    if sheet.kind == "signs" and sheet.day:
        query["day"] = sheet.day.isoformat()
    for name in ("room", "topic"):
        if request.args.get(name):
            query[name] = request.args[name]
    return query


def _pdf(kind: str, slug: str):
    sheet = _sheet(slug, kind)
    html = render_template("printing/pdf.html", sheet=sheet, event=sheet.event,
                           pages=_pages(sheet), direction=direction(sheet.event.language))
    data = printing.pdf(user=me(), html=html, stylesheet=_stylesheet())
    name = f"{sheet.event.slug}-{kind}-{sheet.size_key}.pdf"
    return data, 200, {
        "Content-Type": "application/pdf",
        "Content-Disposition": f'inline; filename="{name}"',
        # The QR codes carry the join code: nothing keeps a copy on the way.
        "Cache-Control": "private, no-store",
    }


@bp.get("/e/<slug>/print/signs")
@login_required
def signs(slug):
    return _page("signs", slug)


@bp.get("/e/<slug>/print/cards")
@login_required
def cards(slug):
    return _page("cards", slug)


@bp.get("/e/<slug>/print/signs.pdf")
@login_required
def signs_pdf(slug):
    return _pdf("signs", slug)


@bp.get("/e/<slug>/print/cards.pdf")
@login_required
def cards_pdf(slug):
    return _pdf("cards", slug)


@bp.get("/t/<id:topic_id>/notes")
def scan(topic_id):
    """A printed QR code: to the session's notes, through the join step if need be."""
    arrival = printing.arrival(topic_id=topic_id, user=me(), code=request.args.get("code"),
                               client=request.remote_addr)
    notes = url_for("topics.show", topic_id=arrival.topic.id, _anchor="notes")
    if arrival.join:
        return redirect(url_for("auth.quick_join", slug=arrival.topic.event.slug,
                                code=arrival.code, next=notes))
    return redirect(notes)
