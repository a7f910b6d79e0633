"""The summary as files: one Markdown document, and a ZIP of Markdown per session + photos +
index. (The whole event as JSON, for other tools and as the backup, is in backup.py; the
schedule as iCalendar in ical.py.)

Markdown written here is CommonMark (+ GFM tables and task lists), so it means the same in any
viewer. Titles, names and other one-line user texts are escaped (they never format or link);
a note's text is the note's Markdown written anew from what our parser read (render.
inert_markdown): text escaped, links checked again, so raw HTML and links to script URLs stay
text in any viewer, as they do on our pages.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Callable

import sqlalchemy as sa

from ..extensions import db
from ..i18n import _, in_language, ngettext
from ..models import Photo, SlotKind
from . import times
from .actions import ActionItem
from .render import inert_inline, inert_markdown, md_escape
from .summary import SessionReport, Summary, gh_anchor

PhotoUrl = Callable[[Photo], str]
SessionLink = Callable[[SessionReport], str]
# A fixed time for every ZIP entry: the same summary always gives the same bytes.
ZIP_TIME = (2000, 1, 1, 0, 0, 0)


def _session_heading(report: SessionReport) -> str:
    return f"{report.number}. {md_escape(report.topic.title)}"


def _fact(label: str, value: str) -> str:
    """A "- **Label:** value" line (the label translated, the value as given)."""
    return f"- **{label}:** {value}"


def _kind_label(kind: SlotKind) -> str:
    return {SlotKind.SESSION: _("Session"), SlotKind.PLENARY: _("Plenary"),
            SlotKind.BREAK: _("Break")}[SlotKind(kind)]


def _anchor_link(report: SessionReport) -> str:
    return "#" + gh_anchor(f"{report.number}. {report.topic.title}")


def _header(summary: Summary) -> list[str]:
    event = summary.event
    out = [f"# {md_escape(event.name)}", ""]
    if event.theme:
        out += ["> " + md_escape(line) if line.strip() else ">" for line in
                event.theme.splitlines()]
        out.append("")
    out.append(_fact(_("Dates"), times.event_dates(event)))
    out.append(_fact(_("Times"), md_escape(times.zone_long(event))))
    if event.venue:
        out.append(_fact(_("Venue"), md_escape(event.venue)))
    if event.hashtag:
        out.append(_fact(_("Hashtag"), md_escape(event.hashtag)))
    out.append(_fact(_("Sessions"), _("%(count)d, %(written)d with a report",
                                      count=len(summary.sessions),
                                      written=sum(r.written for r in summary.sessions))))
    out.append("")
    return out


def _cell(text: str) -> str:
    return text.replace("\n", " ")


def _agenda(summary: Summary, link: SessionLink) -> list[str]:
    out = ["## " + _("Agenda"), ""]
    if not summary.days or not summary.rooms:
        return out + [_("No agenda was set up."), ""]
    for day, slots in summary.days:
        out += [f"### {times.day_with_year(day)}", ""]
        out.append("| " + _("Time (%(zone)s)", zone=times.zone(summary.event, day)) + " | "
                   + " | ".join(md_escape(r.name) for r in summary.rooms) + " |")
        out.append("| --- |" + " --- |" * len(summary.rooms))
        for slot in slots:
            time = times.span(slot.starts_at, slot.ends_at)
            if slot.kind != SlotKind.SESSION:
                label = md_escape(slot.label or _kind_label(slot.kind))
                cells = [f"*{label}*"] + [""] * (len(summary.rooms) - 1)
            else:
                cells = []
                for room in summary.rooms:
                    report = summary.grid.get((room.id, slot.id))
                    cells.append(
                        f"[{md_escape(report.topic.title)}]({link(report)}) · "
                        f"{md_escape(report.topic.convener.name)}" if report else "")
            out.append(f"| {time} | " + " | ".join(_cell(c) for c in cells) + " |")
        out.append("")
    return out


def _meta(report: SessionReport) -> list[str]:
    topic = report.topic
    coming = ngettext("%(num)d said they'd come", "%(num)d said they'd come",
                      topic.interest_count)
    out = [
        _fact(_("Convener"), md_escape(topic.convener.name)),
        _fact(_("Room"), md_escape(topic.room.name) if topic.room else ""),
        _fact(_("Time"), times.slot_when(topic.event, topic.slot)),
        _fact(_("Interest"), coming),
    ]
    if report.attended:
        out.append(_fact(_("Attendance"), ngettext(
            "%(num)d checked in", "%(num)d checked in", report.attended)))
    if topic.tags:
        out.append(_fact(_("Tags"), ", ".join(md_escape(t) for t in topic.tags)))
    return out + [""]


def _session(report: SessionReport, photo_url: PhotoUrl, *, level: int = 2) -> list[str]:
    out = ["#" * level + " " + _session_heading(report), ""]
    out += _meta(report)
    if report.topic.description:
        out += ["> " + md_escape(line) if line.strip() else ">"
                for line in report.topic.description.splitlines()]
        out.append("")
    if report.written:
        out += [inert_markdown(report.body).rstrip("\n"), ""]
    else:
        out += ["*" + _("No report was written for this session.") + "*", ""]
    for photo in report.photos:
        alt = md_escape(photo.caption or _("Photo of %(title)s", title=report.topic.title))
        out += [f"![{alt}]({photo_url(photo)})", ""]
    return out


def _item_line(item: ActionItem, with_session: bool) -> str:
    owners = ", ".join("@" + owner for owner in item.owners) or _("no owner yet")
    line = f"- [{'x' if item.done else ' '}] {inert_inline(item.text)} — {owners}"
    if with_session and item.topic is not None:
        line += f" ({md_escape(item.topic.title)})"
    return line


def _action_items(summary: Summary) -> list[str]:
    out = ["## " + _("Action items"), ""]
    items = summary.action_items
    if not items:
        return out + [_("No action items were written down."), ""]
    return out + [_item_line(item, True) for item in items] + [""]


def _unplaced(summary: Summary) -> list[str]:
    if not summary.unplaced:
        return []
    out = ["## " + _("Also proposed"), ""]
    out += [f"- {md_escape(t.title)} ({md_escape(t.convener.name)})" for t in summary.unplaced]
    return out + [""]


def summary_markdown(summary: Summary, *, photo_url: PhotoUrl) -> str:
    """The whole book as one Markdown document: header, contents, agenda, sessions, action
    items, headed in the event's language. Photos are linked with `photo_url(photo)`
    (absolute URLs of this site)."""
    with in_language(summary.event.language):
        return _summary_markdown(summary, photo_url)


def _summary_markdown(summary: Summary, photo_url: PhotoUrl) -> str:
    out = _header(summary)
    out += ["## " + _("Contents"), ""]
    out += [f"{r.number}. [{md_escape(r.topic.title)}]({_anchor_link(r)})"
            for r in summary.sessions]
    actions = _("Action items")
    out += [f"{len(summary.sessions) + 1}. [{actions}](#{gh_anchor(actions)})", ""]
    out += _agenda(summary, _anchor_link)
    for report in summary.sessions:
        out += _session(report, photo_url)
    out += _action_items(summary)
    out += _unplaced(summary)
    return "\n".join(out).rstrip("\n") + "\n"


# ZIP -------------------------------------------------------------------------------------------

def file_slug(text: str, max_len: int = 50) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_len].strip("-") or "session"


def session_file(report: SessionReport) -> str:
    return f"sessions/{report.number:03d}-{file_slug(report.topic.title)}.md"


def photo_file(photo: Photo) -> str:
    return f"photos/{photo.id}.jpg"


def _entry(archive: zipfile.ZipFile, name: str, data: bytes, *, compress: bool) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    archive.writestr(info, data)


def photo_data(ids: list[int]) -> dict[int, bytes]:
    """The stored (full-size) JPEGs of these photos."""
    rows = db.session.execute(sa.select(Photo.id, Photo.data).where(Photo.id.in_(ids)))
    return {row.id: row.data for row in rows}


def summary_zip(summary: Summary, *, readme: str = "") -> bytes:
    """index.md (header, contents linking each session's file, agenda, action items),
    sessions/NNN-title.md (one per session), photos/ID.jpg (full size, as stored); headed in
    the event's language.

    Photos are read in batches (a big event's photos need not all be in memory at once) and
    stored as they are (compressing JPEGs gains nothing)."""
    with in_language(summary.event.language):
        return _summary_zip(summary, readme)


def _summary_zip(summary: Summary, readme: str) -> bytes:
    out = io.BytesIO()
    prefix = file_slug(summary.event.slug, 64) + "/"
    with zipfile.ZipFile(out, "w") as archive:
        index = _header(summary)
        index += ["## " + _("Contents"), ""]
        index += [f"{r.number}. [{md_escape(r.topic.title)}]({session_file(r)})"
                  for r in summary.sessions]
        below = "#" + gh_anchor(_("Action items"))
        index += ["", _("Action items: [below](%(anchor)s). Photos: `photos/`.", anchor=below),
                  ""]
        index += _agenda(summary, session_file)
        index += _action_items(summary)
        index += _unplaced(summary)
        if readme:
            index += ["---", "", readme, ""]
        _entry(archive, prefix + "index.md",
               ("\n".join(index).rstrip("\n") + "\n").encode(), compress=True)
        for report in summary.sessions:
            lines = _session(report, lambda p: "../" + photo_file(p), level=1)
            lines.append("[" + _("Back to the index") + "](../index.md)")
            _entry(archive, prefix + session_file(report),
                   ("\n".join(lines) + "\n").encode(), compress=True)
        photos = [p for r in summary.sessions for p in r.photos]
        for start in range(0, len(photos), 50):
            batch = photos[start:start + 50]
            data = photo_data([p.id for p in batch])
            for photo in batch:
                _entry(archive, prefix + photo_file(photo), data[photo.id], compress=False)
    return out.getvalue()
