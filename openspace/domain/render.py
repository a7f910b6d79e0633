"""Markdown to safe HTML: the one renderer for topic pages now and for exports later.

Two layers, so a mistake in one is caught by the other:
1. markdown-it-py (CommonMark + tables + strikethrough + task lists) with raw HTML *off*: a `<b>`
   typed into a note shows as text, and markdown-it refuses javascript:/vbscript:/file:/data:
   link targets.
2. nh3 (ammonia) with an allow-list: only the tags Markdown produces, no event handlers, no
   style except table alignment, links only to http(s)/mailto/tel (or relative), and every link
   gets rel="noopener noreferrer nofollow".

Images: a note may show this site's own session photos (`![flipchart](/photos/12.jpg)`), which
passed the photo pipeline (EXIF stripped) and the viewer's permission check. Any other image
becomes a plain link labelled by its alt text: readers' browsers make no third-party requests
(no tracking pixels, no mixed content at venues) and exports stay self-contained.

Line breaks follow CommonMark (a single newline is a space), so the Markdown means the same here
as in every other tool the exported .md is opened with.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from functools import lru_cache
from importlib.util import find_spec
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.tree import SyntaxTreeNode
from markupsafe import Markup
from mdit_py_plugins.tasklists import tasklists_plugin

from .offload import Slots

# An uploaded photo of this site, full size or thumbnail: the only images a note may show.
OWN_PHOTO_RE = re.compile(r"^/photos/[0-9]{1,12}(?:/thumb)?\.jpg$")
_CODE_CLASS_RE = re.compile(r"^language-[A-Za-z0-9_+#.-]{1,40}$")

ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
    "ul", "ol", "li", "strong", "em", "s", "del", "code", "pre", "blockquote", "a", "img",
    "table", "thead", "tbody", "tr", "th", "td", "input", "label",
})
# Removed together with their content (the rest of the unknown tags keep their text).
DROPPED_WITH_CONTENT = frozenset({
    "script", "style", "iframe", "object", "embed", "svg", "math", "template", "noscript",
    "textarea", "select", "title", "frameset", "frame", "noembed", "xmp",
})
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
LINK_REL = "noopener noreferrer nofollow"


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """Per-value rules the allow-list cannot express."""
    if tag == "img" and attribute == "src":
        return value if OWN_PHOTO_RE.match(value) else None
    if tag == "code" and attribute == "class":
        return value if _CODE_CLASS_RE.match(value) else None
    return value


@lru_cache(maxsize=1)
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={
            "a": {"href", "title"},
            "img": {"src", "alt", "title"},
            "ol": {"start"},
            "th": {"style"},
            "td": {"style"},
            "input": {"checked"},
            "code": {"class"},
        },
        attribute_filter=_attribute_filter,
        # Task-list checkboxes: a checkbox, read-only, whatever the input said.
        tag_attribute_values={"input": {"type": {"checkbox"}}},
        set_tag_attribute_values={"input": {"disabled": "disabled"}, "img": {"loading": "lazy"}},
        allowed_classes={
            "ul": {"contains-task-list"},
            "ol": {"contains-task-list"},
            "li": {"task-list-item"},
            "input": {"task-list-item-checkbox"},
        },
        filter_style_properties={"text-align"},
        url_schemes=set(URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def _render_image(self, tokens, idx, options, env) -> str:
    """Own photos stay images; anything else becomes a link to it (see the module docstring)."""
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = self.renderInlineAsText(token.children or [], options, env)
    if OWN_PHOTO_RE.match(src):
        return f'<img src="{escapeHtml(src)}" alt="{escapeHtml(alt)}">'
    return f'<a href="{escapeHtml(src)}">{escapeHtml(alt or src)}</a>'


def _linkify_available() -> bool:
    return find_spec("linkify_it") is not None


def _parser(*, labelled: bool) -> MarkdownIt:
    linkify = _linkify_available()
    md = MarkdownIt("commonmark", {"html": False, "linkify": linkify})
    md.enable(["table", "strikethrough"])
    if linkify:
        md.enable("linkify")
    md.use(tasklists_plugin, label=labelled)
    md.add_render_rule("image", _render_image)
    return md


@lru_cache(maxsize=1)
def markdown_parser() -> MarkdownIt:
    """The configured parser (also used by actions.py to read task lines from the tokens)."""
    return _parser(labelled=False)


@lru_cache(maxsize=1)
def html_parser() -> MarkdownIt:
    """The same grammar for pages: a task line's text is its checkbox's <label> (a checkbox
    without a name is an accessibility failure, and the task's own words name it best)."""
    return _parser(labelled=True)


def sanitize_html(html: str) -> str:
    """Keep only the allow-listed tags, attributes and URL schemes of an HTML fragment."""
    return _cleaner().clean(html)


def render_markdown(text: str | None) -> Markup:
    """Render a note's (or any user's) Markdown to HTML that is safe to put in a page."""
    if not text:
        return Markup("")
    return Markup(sanitize_html(html_parser().render(text)))  # noqa: S704 - sanitized


# What is read from a note, remembered per version ----------------------------------------------
#
# A note's version is its text: a changed note is a new text, so nothing cached by text is ever
# stale. Parsing a long note costs tens of milliseconds (one at the size limit: seconds), and
# the topic page, the projector's news, the summary and actions.csv read every note each time,
# so each result is kept, least recently used first out, within a budget of characters (the
# texts kept as keys and what was computed from them) rather than a count: a few notes at the
# size limit must not take the memory a thousand small ones would.

CACHE_CHARS = 32 * 1024 * 1024  # per cache: ~32-130 MB at worst, ~120 notes at the size limit
# A text this long is read in a real OS thread (offload.off_the_hub), one at a time: parsing a
# note at the size limit takes seconds of pure Python, which on the event loop would stop every
# client for that long; in a thread the loop keeps its turns (the GIL switches every 5 ms).
OFF_THE_HUB_CHARS = 20_000
_heavy = Slots(1)


def _chars(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    if isinstance(value, tuple | list):
        return sum(_chars(v) for v in value) + len(value)
    if dataclasses.is_dataclass(value):
        return sum(_chars(getattr(value, f.name)) for f in dataclasses.fields(value))
    return 64  # a number, None, a small object: what it costs does not matter here


class TextCache:
    """`fn(*args)` remembered per arguments (texts and small values), bounded by `max_chars`."""

    def __init__(self, fn: Callable[..., Any], max_chars: int = CACHE_CHARS) -> None:
        self.fn = fn
        self.max_chars = max_chars
        self._kept: OrderedDict[tuple, tuple[Any, int]] = OrderedDict()
        self._chars = 0
        self._lock = threading.Lock()
        functools.update_wrapper(self, fn)

    def __call__(self, *args: Any) -> Any:
        with self._lock:
            kept = self._kept.get(args)
            if kept is not None:
                self._kept.move_to_end(args)
                return kept[0]
        # Outside the lock: two callers may compute it, both get it.
        if _chars(args) > OFF_THE_HUB_CHARS:
            value = _heavy.run(lambda: self.fn(*args))
        else:
            value = self.fn(*args)
        size = _chars(args) + _chars(value)
        if size > self.max_chars:
            return value
        with self._lock:
            if args not in self._kept:
                self._kept[args] = (value, size)
                self._chars += size
                while self._chars > self.max_chars:
                    _, (_, dropped) = self._kept.popitem(last=False)
                    self._chars -= dropped
        return value

    def cache_clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self._chars = 0

    @property
    def chars(self) -> int:
        return self._chars


def text_cache(fn: Callable[..., Any]) -> TextCache:
    """Decorator: a TextCache of the default budget."""
    return TextCache(fn)


@text_cache
def render_note(markdown: str) -> Markup:
    """render_markdown, remembered per text: the topic page, the news and the summary."""
    return render_markdown(markdown)


def render_inline(text: str | None) -> Markup:
    """Render one line of Markdown (an action item, a caption) without a wrapping paragraph."""
    if not text:
        return Markup("")
    return Markup(sanitize_html(html_parser().renderInline(text)))  # noqa: S704 - sanitized


# Markdown for other viewers -------------------------------------------------------------------
#
# The exported .md files are opened in viewers that render raw HTML (markdown-it or cmark-gfm
# with HTML on, mistune, static-site generators). They must mean there what our pages show, so
# they are not a note's source with the dangerous parts patched out (no regular expression reads
# Markdown as every parser does: escaped backticks, entities, line breaks inside links and
# reference definitions all defeat one) but Markdown written anew from what our parser read:
# - every piece of text is escaped, so `<`, `&`, brackets, backticks and emphasis marks are
#   literal to any CommonMark parser: `<` and `&` as character references (&lt; &amp;), which
#   no parser turns into a tag; the rest with backslashes; and what would start a GFM or
#   mistune bare-URL autolink (`://`, `www.`, `mailto:`) is broken up, because those
#   extensions scan raw text and would swallow a backslash or the backtick opening a code span;
# - every link is checked again with the page's own rules (URL_SCHEMES or a relative URL;
#   images only for this site's photos) and written with its destination escaped, or else
#   written as its text;
# - code stays code, in fences longer than any backtick run inside it.
# References are resolved (links are written inline), setext headings become ATX ones and
# indented code becomes fenced: the same document, spelled one way.
# tests/security/test_markdown_export.py checks it with markdown-it, cmark-gfm and mistune.

_ALWAYS = re.compile(r"([\\`*_\[\]|~])")
_HEADING = re.compile(r"([\\`*_\[\]|~#])")
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# Where a bare-URL autolink extension starts: a scheme's "://", "mailto:"/"xmpp:", "www.".
_AUTOLINK_START = re.compile(r"(?<=[A-Za-z])(:)(?=//)|(?<=mailto)(:)|(?<=xmpp)(:)|"
                             r"(?<![A-Za-z0-9])(?:www)(\.)", re.I)
_ORDERED_START = re.compile(r"^([0-9]{1,9})([.)])")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_INFO_RE = re.compile(r"^[A-Za-z0-9_+#.-]{1,40}$")
_EMPHASIS = {"em": "*", "strong": "**", "s": "~~"}


def _escape_text(text: str, *, line_start: bool = False, heading: bool = False) -> str:
    """Text that every CommonMark parser reads back as exactly this text."""
    out = (_HEADING if heading else _ALWAYS).sub(r"\\\1", text)
    out = re.sub(r"[&<>]", lambda m: _ENTITIES[m[0]], out)
    out = _AUTOLINK_START.sub(lambda m: m[0][:-1] + "\\" + m[0][-1], out)
    if out.endswith("!"):  # a link may follow: "![" would make it an image
        out = out[:-1] + "\\!"
    if line_start:
        ordered = _ORDERED_START.match(out)
        if ordered:  # "2024. was good" is not a list
            out = ordered[1] + "\\" + out[len(ordered[1]):]
        elif out[:1] in ("#", "+", "-", "="):  # no heading, list, rule or setext underline
            out = "\\" + out
    return out


def md_escape(text: str) -> str:
    """User text (a title, a name) as literal Markdown text on one line: nothing in it formats
    or links."""
    return re.sub(r"([\\`*_\[\]<>|~&#!])", r"\\\1", " ".join(text.split()))


def _safe_href(href: str) -> bool:
    """Would our page keep this link (nh3's URL_SCHEMES, or a relative URL)?"""
    scheme = _SCHEME.match(href)
    return scheme is None or scheme[1].lower() in URL_SCHEMES


def _destination(href: str) -> str:
    """A link destination as every parser reads it back: parentheses escaped, & as &amp; (so
    no parser decodes a character reference in it), and no space, <, >, backslash or control
    character (percent-encoded; markdown-it's normalizeLink has encoded them already)."""
    out = []
    for ch in href:
        if ch in "()":
            out.append("\\" + ch)
        elif ch == "&":
            out.append("&amp;")
        elif ch in " <>\\\x7f" or ch < " ":
            out.append(f"%{ord(ch):02X}")
        else:
            out.append(ch)
    return "".join(out)


def _title(title: str) -> str:
    if not title:
        return ""
    text = re.sub(r'([\\"])', r"\\\1", " ".join(title.split()))
    return ' "' + re.sub(r"[&<>]", lambda m: _ENTITIES[m[0]], text) + '"'


def _plain(nodes) -> str:
    """Inline nodes as plain text (an image's alt text), as markdown-it renders it."""
    return "".join(n.content if n.type in ("text", "code_inline")
                   else " " if n.type in ("softbreak", "hardbreak") else _plain(n.children)
                   for n in nodes)


def _code_span(content: str, *, in_table: bool) -> str:
    fence = "`" * (max((len(run) for run in re.findall(r"`+", content)), default=0) + 1)
    if content.strip(" ") and (content[:1] in ("`", " ") or content[-1:] in ("`", " ")):
        content = f" {content} "
    if in_table:
        content = content.replace("|", "\\|")
    return fence + content + fence


def _link(node, *, in_table: bool) -> str:
    label = _inline(node.children, in_table=in_table)
    href = str(node.attrs.get("href", ""))
    if not _safe_href(href):
        return label  # the page shows it as text too
    text = _plain(node.children)
    if node.markup == "autolink" and not re.search(r"[\s<>]", text):
        return f"<{text}>"  # <https://example.org>: written as it was (no escapes work in it)
    return f"[{label}]({_destination(href)}{_title(str(node.attrs.get('title') or ''))})"


def _image(node) -> str:
    src = str(node.attrs.get("src", ""))
    alt = _plain(node.children)
    if OWN_PHOTO_RE.match(src):
        return f"![{_escape_text(alt)}]({_destination(src)})"
    label = _escape_text(alt or src)  # the page shows a link to it, labelled by its alt text
    return f"[{label}]({_destination(src)})" if _safe_href(src) else label


def _inline(nodes, *, start: bool = False, heading: bool = False, in_table: bool = False) -> str:
    out: list[str] = []
    flat = heading or in_table  # one line: breaks become spaces
    at_start = start
    for node in nodes:
        kind = node.type
        if kind == "text":
            out.append(_escape_text(node.content, line_start=at_start, heading=heading))
        elif kind in ("softbreak", "hardbreak"):
            out.append(" " if flat else "\n" if kind == "softbreak" else "\\\n")
        elif kind == "code_inline":
            out.append(_code_span(node.content, in_table=in_table))
        elif kind in _EMPHASIS:
            mark = _EMPHASIS[kind]
            out.append(mark + _inline(node.children, heading=heading, in_table=in_table) + mark)
        elif kind == "link":
            out.append(_link(node, in_table=in_table))
        elif kind == "image":
            out.append(_image(node))
        elif kind == "html_inline" and "task-list-item-checkbox" in node.content:
            out.append("[x]" if "checked" in node.content else "[ ]")  # raw HTML is off
        else:
            out.append(_escape_text(node.content, line_start=at_start, heading=heading))
        at_start = kind in ("softbreak", "hardbreak") and not flat
    return "".join(out)


def _fence(content: str, info: str = "") -> list[str]:
    runs = [len(run) for run in re.findall(r"`+", content)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    info = info.strip() if _INFO_RE.match(info.strip()) else ""
    return [fence + info, *content.rstrip("\n").split("\n"), fence] if content else [
        fence + info, fence]


def _table(node) -> list[str]:
    rows = [row for part in node.children for row in part.children]
    if not rows:
        return []

    def line(row) -> str:
        return "| " + " | ".join(_inline(cell.children[0].children if cell.children else [],
                                         in_table=True) for cell in row.children) + " |"

    aligns = []
    for cell in rows[0].children:
        style = str(cell.attrs.get("style", ""))
        aligns.append({"text-align:left": ":---", "text-align:center": ":---:",
                       "text-align:right": "---:"}.get(style, "---"))
    return [line(rows[0]), "| " + " | ".join(aligns) + " |", *(line(row) for row in rows[1:])]


def _list(node) -> list[str]:
    items = node.children
    tight = all(child.hidden for item in items for child in item.children
                if child.type == "paragraph")
    out: list[str] = []
    for n, item in enumerate(items):
        if node.type == "ordered_list":
            number = item.info if item.info.isdigit() else str(n + 1)
            marker = number + (item.markup or ".")
        else:
            marker = item.markup or "-"
        lines = _blocks(item.children, tight=tight)
        if out and not tight:
            out.append("")
        pad = " " * (len(marker) + 1)
        out.append(f"{marker} {lines[0]}" if lines and lines[0] else marker)
        out += [pad + line if line else "" for line in lines[1:]]
    return out


def _block(node) -> list[str]:
    kind = node.type
    if kind == "paragraph":
        text = _inline(node.children[0].children if node.children else [], start=True)
        return text.split("\n") if text else []
    if kind == "heading":
        text = _inline(node.children[0].children if node.children else [], heading=True)
        return ["#" * int(node.tag[1]) + (" " + text if text else "")]
    if kind in ("fence", "code_block"):
        return _fence(node.content, node.info if kind == "fence" else "")
    if kind == "hr":
        return ["***"]
    if kind == "blockquote":
        return ["> " + line if line else ">" for line in _blocks(node.children)] or [">"]
    if kind in ("bullet_list", "ordered_list"):
        return _list(node)
    if kind == "table":
        return _table(node)
    # Nothing else comes out of our parser (raw HTML is off); text, to be safe.
    return [_escape_text(node.content, line_start=True)] if node.content else []


def _blocks(nodes, *, tight: bool = False) -> list[str]:
    out: list[str] = []
    for node in nodes:
        lines = _block(node)
        if out and lines and not tight:
            out.append("")
        out += lines
    return out


def inert_markdown(text: str) -> str:
    """The note's Markdown written anew (see above): it means in any viewer, raw HTML on or
    off, what render_markdown() shows. For the exported .md files."""
    tree = SyntaxTreeNode(markdown_parser().parse(text or ""))
    lines = _blocks(tree.children)
    return "\n".join(lines) + "\n" if lines else ""


def inert_inline(text: str) -> str:
    """One line of Markdown (an action item) written anew the same way."""
    root = SyntaxTreeNode(markdown_parser().parseInline(text or ""))
    nodes = root.children[0].children if root.children else []
    return _inline(nodes, start=True).replace("\n", " ")
