"""Routes of the summary blueprint: the book of proceedings (page, Markdown, ZIP, JSON), the
calendar feeds, and the export's JSON Schema. Thin: the domain reads, checks and formats."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, current_app, flash, redirect, render_template, request, url_for

from ...domain import backup, events, exports, ical, summary
from ...domain.errors import DomainError, NotFound
from ...domain.permissions import is_member
from ...i18n import _
from ..pages import login_required, me
from . import bp

DOWNLOAD_HEADERS = {"X-Content-Type-Options": "nosniff"}


def _base() -> str:
    """This site's address: OPENSPACE_BASE_URL wins over the request's host (as for join links)."""
    return (current_app.config.get("BASE_URL") or request.host_url).rstrip("/")


def _absolute(path: str) -> str:
    return _base() + path


def _photo_url(photo) -> str:
    return _absolute(url_for("notes.photo", photo_id=photo.id))


def _topic_url(topic) -> str:
    return _absolute(url_for("topics.show", topic_id=topic.id))


def _domain() -> str:
    return urlsplit(_base()).hostname or "openspace"


def _download(body, mimetype: str, filename: str, *, inline: bool = False) -> Response:
    """A file to save (attachment: phones otherwise open Markdown and JSON as raw text in the
    browser), or one to hand to an app (inline: calendars). `mimetype` is the bare type:
    Werkzeug adds "; charset=utf-8" to the text types itself, once."""
    disposition = "inline" if inline else "attachment"
    # Slugs are [a-z0-9-]: the name needs no escaping (as actions.csv's).
    return Response(body, mimetype=mimetype, headers={
        **DOWNLOAD_HEADERS, "Content-Disposition": f'{disposition}; filename="{filename}"'})


def _readable(slug):
    event = events.get_event(slug, me())
    summary.require_summary(me(), event)
    return event


# The book --------------------------------------------------------------------------------------

@bp.get("/e/<slug>/summary")
def show(slug):
    event = _readable(slug)
    return render_template("summary/show.html", event=event, book=summary.build_summary(event))


@bp.post("/e/<slug>/summary/publish")
@login_required
def publish(slug):
    event = events.get_event(slug, me())
    published = request.form.get("published") == "1"
    try:
        events.update_event(event=event, user=me(), data={"summary_published": published})
    except DomainError as error:
        if error.status != 400:
            raise
        flash(error.message, "error")
    else:
        flash(_("The summary is published: everyone who can see the event can read it.")
              if published else _("The summary is hidden again: only organizers can read it."),
              "success")
    return redirect(url_for(".show", slug=slug))


@bp.get("/e/<slug>/summary.md")
def markdown(slug):
    event = _readable(slug)
    text = exports.summary_markdown(summary.build_summary(event), photo_url=_photo_url)
    return _download(text, "text/markdown", f"{event.slug}-summary.md")


@bp.get("/e/<slug>/summary.zip")
def archive(slug):
    event = _readable(slug)
    data = exports.summary_zip(summary.build_summary(event))
    return _download(data, "application/zip", f"{event.slug}-summary.zip")


@bp.get("/e/<slug>/summary.json")
def json_export(slug):
    event = _readable(slug)
    links = request.args.get("photos") == "links"
    data = backup.export_event(event, photo_url=_photo_url if links else None)
    return _download(backup.dumps(data), "application/json", f"{event.slug}-export.json")


@bp.get("/schemas/<name>")
def schema(name):
    versions = {file: version for version, file in backup.SCHEMA_FILES.items()}
    if name not in versions:
        raise NotFound(_("No such schema."))
    response = current_app.response_class(backup.dumps(backup.schema(versions[name])),
                                          mimetype="application/schema+json")
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


# Calendars -------------------------------------------------------------------------------------

def _ics(body: bytes, filename: str) -> Response:
    return _download(body, "text/calendar", filename, inline=True)


@bp.get("/e/<slug>/schedule.ics")
def schedule(slug):
    event = events.get_event(slug, me())
    return _ics(ical.schedule_ics(event, domain=_domain(), topic_url=_topic_url),
                f"{event.slug}.ics")


@bp.get("/e/<slug>/agenda/<token>.ics")
def agenda_feed(slug, token):
    event = ical.event_for_feed(slug)
    user = ical.user_for_feed(event=event, token=token, secret=_secret())
    response = _ics(ical.agenda_ics(event, user, domain=_domain(), topic_url=_topic_url),
                    f"{event.slug}-my-agenda.ics")
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _secret() -> bytes:
    return str(current_app.secret_key).encode()


@bp.get("/e/<slug>/calendar")
def calendar(slug):
    event = events.get_event(slug, me())
    personal = None
    if is_member(me(), event):
        token = ical.feed_token(user=me(), event=event, secret=_secret())
        personal = _absolute(url_for(".agenda_feed", slug=slug, token=token))
    whole = _absolute(url_for(".schedule", slug=slug))
    return render_template("summary/calendar.html", event=event, whole=whole,
                           personal=personal)
