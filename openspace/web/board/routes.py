"""Routes of the board blueprint: the board, proposing, placing in a cell, Now & Next, my agenda."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import flash, g, redirect, render_template, request, url_for

from ... import i18n
from ...domain import actions, announcements, board, checkins, events, permissions, times
from ...domain import validation as v
from ...domain.errors import Conflict, DomainError, ValidationFailed
from ...i18n import _
from ...models import BoardState
from ..auth.forms import JoinForm
from ..pages import allowed, back, login_required, me
from . import bp, cache
from .forms import TopicForm
from .pitches import pitch_context


def _board_regions(event, coming) -> dict:
    """What the board page's live regions (state, grid) show: the same for every viewer with
    the same role who comes to the same topics (the cache's key, _live_tag)."""
    user = me()
    topics = board.active_topics(event)
    return {
        "event": event,
        "days": board.days(event),
        "placed": {(t.room_id, t.slot_id): t for t in topics if t.room_id is not None},
        "interested": coming,
        "is_member": allowed(permissions.require_member, user, event),
        "can_change": allowed(permissions.require_board_change, user, event),
        "organizer": permissions.is_organizer(user, event),
    }


def _live_tag(event) -> tuple[str, frozenset[int]]:
    """The ETag of the board page's live regions for this viewer, and the topics they come to."""
    coming = board.coming_to(event, me())
    role = permissions.role_in(me(), event)
    return cache.tag("board.live", event, i18n.current(), str(role), sorted(coming)), coming


def _board_page(event):
    live_etag, coming = _live_tag(event)
    return render_template(
        "board/show.html",
        **_board_regions(event, coming),
        live_etag=live_etag,
        join_form=JoinForm(formdata=None),
        announcements=announcements.recent(event, limit=3),
    )


@bp.get("/e/<slug>/live")
def live(slug):
    """The board page's live regions alone, for live.js after a version gap or a reconnect:
    304 if the client has them (If-None-Match), else from the per-version cache."""
    event = events.get_event(slug, me())  # who may see it first: a private board 404s
    tag, coming = _live_tag(event)

    def render() -> bytes:
        g.shared_render = True  # no CSRF token in what other viewers get too
        try:
            return render_template("board/live.html", **_board_regions(event, coming)).encode()
        finally:
            g.shared_render = False

    return cache.respond(tag, render, "text/html")


def marketplace_page(event, *, form: TopicForm | None = None, pitch_form=None,
                     status: int = 200):
    user = me()
    # A filter that no topic can match (too long, control characters) is no filter.
    market = board.marketplace(
        event, tag=v.lookup_key(request.args.get("tag"), max_len=v.TAG_MAX + 1),
        query=v.lookup_key(request.args.get("q"), max_len=v.TITLE_MAX))
    return render_template(
        "board/marketplace.html",
        event=event,
        market=market,
        interested=board.coming_to(event, user),
        is_member=allowed(permissions.require_member, user, event),
        can_change=allowed(permissions.require_board_change, user, event),
        form=form or TopicForm(formdata=None),
        **pitch_context(event, form=pitch_form),
    ), status


@bp.get("/e/<slug>")
def show(slug):
    return _board_page(events.get_event(slug, me()))


@bp.get("/e/<slug>/marketplace")
def marketplace(slug):
    """The marketplace: propose a topic; every topic, not placed yet first; tags and search."""
    return marketplace_page(events.get_event(slug, me()))


@bp.get("/e/<slug>/more")
def more(slug):
    """The phone's "Menu" tab: the event's other places and the organizer tools."""
    return render_template("board/more.html", event=events.get_event(slug, me()))


@bp.post("/e/<slug>/topics")
@login_required
def propose(slug):
    event = events.get_event(slug, me())
    form = TopicForm()
    if not form.posted():
        return redirect(url_for("board.marketplace", slug=slug))
    try:
        topic = board.propose_topic(event=event, user=me(), data=form.topic_data())
    except DomainError as error:
        # Whatever went wrong (a locked board too), the typed topic stays in the form.
        form.show_error(error)
        return marketplace_page(event, form=form, status=error.status)
    flash(_("\u201c%(title)s\u201d is on the marketplace. Tap a free cell to put it on the "
            "board.", title=topic.title), "success")
    return redirect(url_for("topics.show", topic_id=topic.id))


@bp.post("/e/<slug>/state")
@login_required
def set_state(slug):
    event = events.get_event(slug, me())
    try:
        events.set_board_state(event=event, user=me(), state=request.form.get("state"))
    except ValidationFailed as error:
        flash(error.message, "error")
        return back(url_for("board.show", slug=slug))
    if event.board_state == BoardState.LOCKED:
        flash(_("The board is locked: only organizers can change it now."), "success")
    else:
        flash(_("The board is open: members can propose and place topics."), "success")
    return back(url_for("board.show", slug=slug))


# Placing into a cell ---------------------------------------------------------------------------

def _cell_page(event, room, slot, *, problem: str | None = None, status: int = 200):
    user = me()
    permissions.require_board_change(user, event)
    topics = board.active_topics(event)
    holder = next((t for t in topics if (t.room_id, t.slot_id) == (room.id, slot.id)), None)
    candidates = [t for t in topics
                  if t.room_id is None and permissions.can_edit_topic(user, t)]
    return render_template("board/cell.html", event=event, room=room, slot=slot, holder=holder,
                           candidates=candidates, problem=problem), status


@bp.route("/e/<slug>/cells/<id:room_id>/<id:slot_id>", methods=["GET", "POST"])
@login_required
def cell(slug, room_id, slot_id):
    """ "Put a topic here": the user's unplaced topics (an organizer's: all), one tap each."""
    event = events.get_event(slug, me())
    room = events.get_room(event, room_id)
    slot = events.get_slot(event, slot_id)
    if request.method == "GET":
        return _cell_page(event, room, slot)
    topic = board.get_topic(v.id_from_text(request.form.get("topic_id")), me())
    try:
        board.place_topic(topic=topic, user=me(), room_id=room.id, slot_id=slot.id)
    except (Conflict, ValidationFailed) as error:
        return _cell_page(event, room, slot, problem=error.message, status=error.status)
    flash(_("\u201c%(title)s\u201d is in %(room)s, %(when)s.", title=topic.title, room=room.name,
            when=times.weekday_clock(slot.starts_at)), "success")
    return redirect(url_for("board.show", slug=slug, _anchor=f"t{topic.id}"))


# Now & Next, my agenda -------------------------------------------------------------------------

def _preview_time(event, value):
    """?at=2026-11-23T10:30 shows the screen as at that local time (organizers check it before
    the day); anything unparseable means now."""
    if not value:
        return None
    at = v.local_time(v.Fields(), "at", value)
    return at.replace(tzinfo=ZoneInfo(event.timezone)) if at else None


@bp.get("/e/<slug>/now")
def now(slug):
    event = events.get_event(slug, me())
    at = _preview_time(event, request.args.get("at"))
    return render_template("board/now.html", event=event, info=board.now_and_next(event, at),
                           preview=at is not None, **_here(event, at))


def _here(event, at=None) -> dict:
    """What the "I'm here" buttons need: where the viewer is checked in, the counts now."""
    return {"checked_in": checkins.current(me(), event, now=at),
            "headcounts": checkins.headcounts_by_topic(event, now=at),
            "may_check_in": permissions.is_member(me(), event)}


@bp.post("/t/<id:topic_id>/here")
@login_required
def check_in(topic_id):
    """ "I'm here": into this session (out of the previous one)."""
    topic = board.get_topic(topic_id, me())
    try:
        checkins.check_in(topic=topic, user=me())
    except Conflict as error:
        flash(error.message, "error")
    else:
        flash(_("You're checked in to “%(title)s”.", title=topic.title), "success")
    return back(url_for("board.now", slug=topic.event.slug))


@bp.post("/e/<slug>/here/leave")
@login_required
def check_out(slug):
    event = events.get_event(slug, me())
    if checkins.check_out(event=event, user=me()):
        flash(_("You're checked out."), "success")
    return back(url_for("board.now", slug=event.slug))


@bp.get("/e/<slug>/rooms-now")
@login_required
def rooms_now(slug):
    """Organizers: every room's session now, with who is here against seats and "I'll come"."""
    event = events.get_event(slug, me())
    counts = checkins.room_headcounts(event=event, user=me())
    return render_template("board/rooms_now.html", event=event, counts=counts,
                           topics={t.id: t for t in event.topics},
                           rooms={r.id: r for r in event.rooms},
                           clock=board.local_now(event))


@bp.get("/e/<slug>/me")
@login_required
def my_agenda(slug):
    event = events.get_event(slug, me())
    agenda = board.my_agenda(event, me())
    convening = {t.id for t in agenda["convening"]}
    attending = {t.id for t in agenda["attending"]}
    entries = list({t.id: t for t in agenda["convening"] + agenda["attending"]}.values())
    entries.sort(key=lambda t: (t.slot is None, t.slot.starts_at if t.slot else datetime.max,
                                t.id))
    per_slot = Counter(t.slot_id for t in entries if t.slot_id is not None)
    return render_template("board/my_agenda.html", event=event, entries=entries,
                           my_items=actions.filter_items(actions.event_action_items(event),
                                                         owner=me()),
                           convening=convening, attending=attending,
                           clashes={slot_id for slot_id, n in per_slot.items() if n > 1})
