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

import re
from functools import lru_cache
from importlib.util import find_spec

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markupsafe import Markup
from mdit_py_plugins.tasklists import tasklists_plugin

# An uploaded photo of this site, full size or thumbnail: the only images a note may show.
OWN_PHOTO_RE = re.compile(r"^/photos/[0-9]{1,12}(?:/thumb)?\.jpg$")
_CODE_CLASS_RE = re.compile(r"^language-[A-Za-z0-9_+#.-]{1,40}$")

ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
    "ul", "ol", "li", "strong", "em", "s", "del", "code", "pre", "blockquote", "a", "img",
    "table", "thead", "tbody", "tr", "th", "td", "input",
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


@lru_cache(maxsize=1)
def markdown_parser() -> MarkdownIt:
    """The configured parser (also used by actions.py to read task lines from the tokens)."""
    linkify = _linkify_available()
    md = MarkdownIt("commonmark", {"html": False, "linkify": linkify})
    md.enable(["table", "strikethrough"])
    if linkify:
        md.enable("linkify")
    md.use(tasklists_plugin)
    md.add_render_rule("image", _render_image)
    return md


def sanitize_html(html: str) -> str:
    """Keep only the allow-listed tags, attributes and URL schemes of an HTML fragment."""
    return _cleaner().clean(html)


def render_markdown(text: str | None) -> Markup:
    """Render a note's (or any user's) Markdown to HTML that is safe to put in a page."""
    if not text:
        return Markup("")
    return Markup(sanitize_html(markdown_parser().render(text)))  # noqa: S704 - sanitized


def render_inline(text: str | None) -> Markup:
    """Render one line of Markdown (an action item, a caption) without a wrapping paragraph."""
    if not text:
        return Markup("")
    return Markup(sanitize_html(markdown_parser().renderInline(text)))  # noqa: S704 - sanitized


# Markdown for other viewers -------------------------------------------------------------------

# A tag, comment or declaration start that a Markdown viewer with raw HTML on would honour.
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
# An autolink to a harmless scheme (or an email address): kept as it is.
_SAFE_AUTOLINK = re.compile(r"<(?:(?:https?|mailto|tel):[^\s<>]*|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)>",
                            re.I)
_BAD_SCHEME = r"\s*<?\s*(?:javascript|vbscript|data|file):"
_BAD_INLINE_LINK = re.compile(r"\]\((?=" + _BAD_SCHEME + ")", re.I)
_BAD_REFERENCE = re.compile(r"^(\s{0,3})\[(?=[^\]]*\]:" + _BAD_SCHEME + ")", re.I)
_BACKTICKS = re.compile(r"`+")


def _inert_text(segment: str) -> str:
    out, at = [], 0
    for match in _TAG_START.finditer(segment):
        autolink = _SAFE_AUTOLINK.match(segment, match.start())
        if autolink is None:
            out.append(segment[at:match.start()] + "\\")
            at = match.start()
    out.append(segment[at:])
    return _BAD_INLINE_LINK.sub("]\\(", "".join(out))


def _inert_line(line: str) -> str:
    """The line with its non-code parts made inert; inline code spans are left alone."""
    line = _BAD_REFERENCE.sub(r"\1\\[", line)
    out, at, pos = [], 0, 0
    while (run := _BACKTICKS.search(line, pos)) is not None:
        closing = re.compile(r"(?<!`)" + re.escape(run.group()) + r"(?!`)")
        end = closing.search(line, run.end())
        if end is None:
            pos = run.end()
            continue
        out.append(_inert_text(line[at:run.start()]) + line[run.start():end.end()])
        at = pos = end.end()
    out.append(_inert_text(line[at:]))
    return "".join(out)


def inert_markdown(text: str) -> str:
    """Markdown that means in any viewer what render_markdown() shows: raw HTML stays text
    (each tag start gets a backslash) and links to script URLs stay text; code blocks, code
    spans and everything else are left exactly as written. For the exported .md files."""
    lines = text.split("\n")
    code: set[int] = set()
    for token in markdown_parser().parse(text):
        if token.type in ("fence", "code_block") and token.map:
            code.update(range(*token.map))
    return "\n".join(line if n in code else _inert_line(line) for n, line in enumerate(lines))
