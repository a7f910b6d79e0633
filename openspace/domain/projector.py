"""The projector (the wall screen): what it shows, and the address its join QR code encodes.

What it shows: organizers set the event's projector mode, and every open projector follows at
once (projector_changed -> realtime.py). "board" always shows the agenda grid, "news" always the
freshly written session reports, "actions" the open action items nobody owns yet (for the
closing circle: people stand up and take them), "pitches" the opening marketplace's queue (who
announces a topic now, with a countdown, and who is next: domain/pitches.py). "auto" (the
default) shows the grid whenever people need it: while any session or plenary slot runs (the
opening and closing circles included) and in the quarter hour before one starts; the news only
in breaks and outside the day's slots (the morning and the evening news), and only when there
are reports to show; and while the organizers keep the pitch queue open, the queue (the
opening circle).

The join link: attendees scan it from the wall, so it must name an address their phones reach.
A projector opened on the serving laptop at 127.0.0.1 or localhost would encode exactly that;
then the link uses one of the machine's network addresses instead (the organizer's pick, or the
only one), and the organizer is told what is going on.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from ..i18n import _
from ..models import Event, ProjectorMode, SlotKind, User
from . import validation as v
from .actions import ActionItem, unowned_open_items
from .events import update_event
from .permissions import require_organizer
from .pitches import queue_state
from .signals import projector_changed
from .summary import NewsItem, news
from .tx import writing

# The grid comes back this long before a session or plenary starts: people look where to go.
LEAD = timedelta(minutes=15)
MODES = tuple(m.value for m in ProjectorMode)


# What the wall shows ---------------------------------------------------------------------------

@dataclass
class Wall:
    mode: ProjectorMode  # as set (or as asked for by this screen's ?mode=)
    shows: ProjectorMode  # BOARD, NEWS, ACTIONS or PITCHES: what is on the wall now
    reason: str  # in plain words, for the organizers' controls
    news: list[NewsItem] = field(default_factory=list)
    actions: list[ActionItem] = field(default_factory=list)
    queue: dict | None = None  # PITCHES: pitches.queue_state()

    @property
    def news_mode(self) -> bool:
        return self.shows == ProjectorMode.NEWS


def auto_shows(event: Event, clock: datetime, *, has_news: bool) -> tuple[ProjectorMode, str]:
    """What "auto" shows at the event's local time `clock`, and why."""
    for slot in event.slots:
        if slot.kind == SlotKind.BREAK:
            continue
        if slot.starts_at <= clock < slot.ends_at:
            if slot.kind == SlotKind.SESSION:
                return ProjectorMode.BOARD, _("The agenda: a session slot is on.")
            if slot.label:
                return ProjectorMode.BOARD, _("The agenda: %(label)s is on.", label=slot.label)
            return ProjectorMode.BOARD, _("The agenda: a plenary is on.")
        if clock < slot.starts_at <= clock + LEAD:
            return ProjectorMode.BOARD, _("The agenda: the next slot starts soon.")
    if has_news:
        return ProjectorMode.NEWS, _("The news: no session is on, and reports are written.")
    return ProjectorMode.BOARD, _("The agenda: no session is on, and no report is written "
                                  "yet.")


def wall(event: Event, clock: datetime, *, asked: Any = None) -> Wall:
    """What this projector shows now: the event's mode, or the screen's own ?mode= (a second
    screen that always shows the news, say)."""
    mode = ProjectorMode(asked) if asked in MODES else event.projector_mode
    if mode == ProjectorMode.BOARD:
        return Wall(mode, ProjectorMode.BOARD, _("The agenda, always."))
    if mode == ProjectorMode.ACTIONS:
        return Wall(mode, ProjectorMode.ACTIONS, _("The action items nobody owns yet."),
                    actions=unowned_open_items(event))
    if mode == ProjectorMode.PITCHES or (mode == ProjectorMode.AUTO and event.pitch_queue_open):
        reason = (_("The opening marketplace: who announces a topic now, and who is next.")
                  if mode == ProjectorMode.PITCHES
                  else _("The opening marketplace: the pitch queue is open."))
        return Wall(mode, ProjectorMode.PITCHES, reason, queue=queue_state(event))
    items = news(event)
    if mode == ProjectorMode.NEWS:
        return Wall(mode, ProjectorMode.NEWS, _("The news, always."), items)
    shows, reason = auto_shows(event, clock, has_news=bool(items))
    return Wall(mode, shows, reason, items if shows == ProjectorMode.NEWS else [])


def set_mode(*, event: Event, user: User, mode: Any) -> Event:
    """Organizers switch what every projector of the event shows (live: no reload)."""
    return update_event(event=event, user=user, data={"projector_mode": mode})


# The join link's address -----------------------------------------------------------------------

def is_local_host(host: str | None) -> bool:
    """A host name or address that only this machine reaches: localhost, 127.0.0.0/8, ::1
    (and 0.0.0.0, which is nobody's address)."""
    if not host:
        return False
    host = host.strip("[]").lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


@dataclass(frozen=True)
class JoinLink:
    url: str  # what the QR code encodes
    local: bool  # the page was opened (or the base URL set) at an address only this machine has
    host: str  # the host the page was opened at
    choices: tuple[str, ...] = ()  # network addresses offered instead (when local)
    chosen: str = ""  # the one the link uses ("" when none was found)
    picked: bool = False  # an organizer chose it (rather than: the only or the likeliest one)
    unreachable: bool = False  # opened locally, and the server listens on this machine only

    @property
    def needs_choice(self) -> bool:
        return self.local and len(self.choices) > 1 and not self.picked

    @property
    def broken(self) -> bool:
        """No phone can open the link: the audience should be told too."""
        return self.unreachable or (self.local and not self.chosen)


def join_link(event: Event, *, path: str, base: str, addresses: list[str],
              listen_host: str | None = None) -> JoinLink:
    """The join link for the wall: `base` (OPENSPACE_BASE_URL, else the address the page was
    opened at) + `path`; when that base is local, the same port at one of `addresses` (the
    machine's network addresses, likeliest first): the one an organizer picked, else the first.
    `listen_host` is the address `openspace serve` listens on, when known: a server that
    listens on 127.0.0.1 only is reached by no phone, whatever the link says (behind a proxy
    it is meant to, but then the page was not opened at a local address)."""
    parts = urlsplit(base)
    host = parts.hostname or ""
    if not is_local_host(host):
        return JoinLink(url=base + path, local=False, host=host)
    # 0.0.0.0 (every interface) as a listening address is fine, unlike as a link's host.
    unreachable = listen_host is not None and is_local_host(listen_host) and \
        listen_host.strip("[]") not in ("0.0.0.0", "::")
    choices = tuple(addresses)
    picked = event.join_address in choices
    chosen = event.join_address if picked else (choices[0] if choices else "")
    if not chosen:
        return JoinLink(url=base + path, local=True, host=host, unreachable=unreachable)
    netloc = chosen + (f":{parts.port}" if parts.port else "")
    return JoinLink(url=f"{parts.scheme}://{netloc}{path}", local=True, host=host,
                    choices=choices, chosen=chosen, picked=picked, unreachable=unreachable)


def set_join_address(*, event: Event, user: User, address: Any, offered: list[str]) -> Event:
    """Organizers pick which of this machine's network addresses the join QR uses ("" lets the
    app choose). Only an address the machine has is accepted: the QR never sends phones to a
    host the organizer typed."""
    require_organizer(user, event)
    fields = v.Fields()
    address = v.text(fields, "address", address, max_len=45)
    if address and address not in offered:
        fields.add("address", _("is not a network address of this machine"))
    fields.check()
    with writing():
        require_organizer(user, event)
        changed = event.join_address != address
        event.join_address = address
        event_id = event.id
    if changed:
        projector_changed.send(event_id, kind="join_address", mode=str(event.projector_mode))
    return event

