"""Routes of the notes blueprint: what the notes say (action items, which sessions lack notes)
and session photos. The topic page shows rendered notes and photos through the template globals
below (templates/notes/_rendered.html and _photos.html)."""

from __future__ import annotations

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from ...domain import actions, board, events, photos, summary
from ...domain import validation as v
from ...domain.errors import Conflict, TooLarge, ValidationFailed
from ...domain.render import render_inline, render_markdown
from ...extensions import csrf
from ...i18n import _
from ..pages import login_required, me
from ..topics.routes import _topic_page
from . import bp

# Upload problems the topic page explains next to the form; 403/404 end on the error page.
RECOVERABLE = (ValidationFailed, Conflict, TooLarge)
# Photos change only by id (a new upload is a new id), so browsers may keep them; "private"
# keeps shared caches from holding photos of private events or ones deleted later.
IMAGE_HEADERS = {
    "Cache-Control": "private, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
    "Content-Disposition": "inline",
}


# Template helpers for the topic page ------------------------------------------------------------

@bp.app_template_global()
def notes_of(topic):
    return actions.topic_notes(topic=topic, user=me())


@bp.app_template_global()
def photos_of(topic):
    return photos.topic_photos(topic=topic, user=me())


@bp.app_template_filter("report")
def report(markdown, title):
    """A note as the book prints it (summary.nest_headings: headings nested under the page's,
    none skipped, empty template headings left out), as HTML."""
    return summary.rendered(summary.nest_headings(markdown, title))


bp.add_app_template_filter(render_markdown, "markdown")
bp.add_app_template_filter(render_inline, "markdown_inline")
bp.add_app_template_filter(actions.handle_of, "handle")  # "Ada Lovelace" -> Ada_Lovelace


# Action items and notes status -----------------------------------------------------------------

def _filters() -> dict:
    """The actions page's filters from its query: ?mine=1, ?open=1, ?session=<topic id>."""
    session = request.args.get("session", "")
    return {"mine": request.args.get("mine") == "1", "open": request.args.get("open") == "1",
            "session": int(session) if session.isascii() and session.isdigit()
            and len(session) < 19 else None}


@bp.get("/e/<slug>/actions")
def actions_page(slug):
    event = events.get_event(slug, me())
    chosen = _filters()
    every = actions.event_action_items(event)
    user = me()
    shown = actions.filter_items(every, owner=user if chosen["mine"] and user else None,
                                 open_only=chosen["open"], topic_id=chosen["session"])
    sessions = {item.topic.id: item.topic for item in every if item.topic is not None}
    return render_template("notes/actions.html", event=event, filters=chosen,
                           groups=actions.action_items_by_session(event, shown),
                           sessions=list(sessions.values()), total=len(every),
                           open_count=sum(not item.done for item in every),
                           may_tick=lambda item: actions.may_tick(user, item, event))


@bp.post("/e/<slug>/actions/tick")
@login_required
def tick_action(slug):
    event = events.get_event(slug, me())
    topic = board.get_topic(v.id_from_text(request.form.get("topic_id")), me())
    back = url_for("notes.actions_page", slug=event.slug, **{
        key: value for key, value in request.form.items()
        if key in ("mine", "open", "session") and value})
    if topic.event_id != event.id:
        return redirect(back)
    try:
        item = actions.set_done(topic=topic, user=me(), index=request.form.get("index"),
                                text=request.form.get("text"),
                                done=request.form.get("done") == "1")
    except (Conflict, ValidationFailed) as error:
        flash(error.message, "error")
    else:
        flash(_("Done: %(item)s", item=item.text) if item.done
              else _("Open again: %(item)s", item=item.text), "success")
    return redirect(back + f"#item-{topic.id}-{request.form.get('index', '')}")


@bp.get("/e/<slug>/actions.csv")
def actions_csv(slug):
    event = events.get_event(slug, me())
    return Response(actions.action_items_csv(event), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{event.slug}-action-items.csv"',
        "X-Content-Type-Options": "nosniff",
    })


@bp.get("/e/<slug>/notes-status")
@login_required
def status(slug):
    event = events.get_event(slug, me())
    rows = actions.notes_status(event=event, user=me())
    return render_template("notes/status.html", event=event, rows=rows)


# Photos ----------------------------------------------------------------------------------------

def _upload_form():
    """The photo file and caption of this request, under the photo size limit.

    The app-wide MAX_CONTENT_LENGTH (1 MiB) is raised for this request only, before anything
    reads the body; that is why CSRF is checked here rather than by CSRFProtect's before_request
    (it would read the form under the small limit first)."""
    request.max_content_length = photos.MAX_REQUEST_BYTES
    too_large = TooLarge(_("That photo is too large: at most %(num)d MB.",
                           num=photos.MAX_UPLOAD_BYTES // 2**20), fields={"photo": _("too large")})
    if (request.content_length or 0) > photos.MAX_REQUEST_BYTES:
        raise too_large
    try:
        request.form  # noqa: B018 - parse the body now, under the raised limit
    except RequestEntityTooLarge as error:
        raise too_large from error
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()
    upload = next((f for f in request.files.getlist("photo") if f and f.filename), None)
    return (upload.stream if upload else None), request.form.get("caption", "")


@bp.post("/t/<id:topic_id>/photos")
@csrf.exempt  # checked in _upload_form, after the size limit is raised
@login_required
def upload_photo(topic_id):
    topic = board.get_topic(topic_id, me())
    try:
        upload, caption = _upload_form()
        photos.add_photo(topic=topic, user=me(), upload=upload, caption=caption)
    except RECOVERABLE as error:
        return _topic_page(topic, problem=error.message, status=error.status)
    flash(_("Photo added."), "success")
    return redirect(url_for("topics.show", topic_id=topic.id, _anchor="photos"))


def _jpeg(data: bytes) -> Response:
    return Response(data, mimetype="image/jpeg", headers=IMAGE_HEADERS)


@bp.get("/photos/<id:photo_id>.jpg")
def photo(photo_id):
    return _jpeg(photos.photo_image(photo_id=photo_id, user=me()))


@bp.get("/photos/<id:photo_id>/thumb.jpg")
def photo_thumb(photo_id):
    return _jpeg(photos.photo_image(photo_id=photo_id, user=me(), thumbnail=True))


@bp.post("/photos/<id:photo_id>/delete")
@login_required
def delete_photo(photo_id):
    topic = photos.delete_photo(photo=photos.get_photo(photo_id, me()), user=me())
    flash(_("Photo deleted."), "success")
    return redirect(url_for("topics.show", topic_id=topic.id, _anchor="photos"))
