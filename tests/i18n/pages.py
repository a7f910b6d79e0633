"""Reading a page as a translator would: the text people see inside <main>, and whatever of it
is plain English that never went through the catalogs (the pseudo-locale accents every catalog
text, so a run of unaccented ASCII letters is a text that slipped past them)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_ASCII_WORD = re.compile(r"[A-Za-z]{2,}")
# Dates and times are Babel's, not the catalogs': the pseudo-locale formats them as English.
_DATE_WORDS = re.compile(
    r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*\.?|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|"
    r"Nov|Dec)[a-z]*\.?|\b[ap]m\b")
_SKIP = {"script", "style", "code", "pre", "textarea", "option", "select"}
_SHOWN_ATTRIBUTES = ("aria-label", "placeholder", "title", "alt")


class _Main(HTMLParser):
    def __init__(self, whole: bool = False) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = int(whole)  # inside <main> (a fragment: all of it)
        self.skip = 0           # inside an element whose text is code or data
        self.texts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "main":
            self.depth += 1
        if not self.depth:
            return
        if tag in _SKIP:
            self.skip += 1
        for name, value in attrs:
            if name in _SHOWN_ATTRIBUTES and value:
                self.texts.append(value)
            # An <input>'s value is its label; a <button>'s is data sent, never shown.
            if tag == "input" and name == "value" and dict(attrs).get("type") in ("submit",
                                                                                  "button"):
                self.texts.append(value or "")

    def handle_endtag(self, tag):
        if not self.depth:
            return
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        if tag == "main":
            self.depth -= 1

    def handle_data(self, data):
        if self.depth and not self.skip and data.strip():
            self.texts.append(data.strip())


def main_texts(html: str, *, whole: bool = False) -> list[str]:
    """The text nodes (and shown attributes) inside <main>, outside code and form values;
    `whole`: of all the HTML given (a fragment the server renders for live patching)."""
    parser = _Main(whole)
    parser.feed(html)
    return parser.texts


def english_left(html: str, data: tuple[str, ...] = (), *, whole: bool = False) -> list[str]:
    """Texts of <main> (`whole`: of the whole fragment) with plain English in them once `data`
    (names, addresses, codes the test itself typed) is taken out: each one a text that did not
    go through the catalogs."""
    data = tuple(sorted({*data, "openspace"}, key=len, reverse=True))
    left = []
    for text in main_texts(html, whole=whole):
        rest = text
        for value in data:
            rest = rest.replace(value, " ")
        if _ASCII_WORD.search(_DATE_WORDS.sub(" ", rest)):
            left.append(text)
    return left


class _Regions(HTMLParser):
    """The outer HTML of every [data-live-region] element: what live.js swaps in on a change."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.regions: dict[str, list[str]] = {}
        self.open: list[tuple[str, int, list[str]]] = []  # (name, depth, parts)
        self.depth = 0

    def _feed_open(self, text: str) -> None:
        for _name, _depth, parts in self.open:
            parts.append(text)

    def handle_starttag(self, tag, attrs):
        text = self.get_starttag_text() or ""
        self.depth += tag not in _VOID
        name = dict(attrs).get("data-live-region")
        if name is not None:
            self.open.append((name, self.depth, []))
        self._feed_open(text)

    def handle_startendtag(self, tag, attrs):
        self._feed_open(self.get_starttag_text() or "")

    def handle_endtag(self, tag):
        self._feed_open(f"</{tag}>")
        if self.open and self.open[-1][1] == self.depth:
            name, _depth, parts = self.open.pop()
            self.regions[name] = ["".join(parts)]
        self.depth -= 1

    def handle_data(self, data):
        self._feed_open(data)

    def handle_entityref(self, name):
        self._feed_open(f"&{name};")

    def handle_charref(self, name):
        self._feed_open(f"&#{name};")


_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
         "track", "wbr"}


def live_regions(html: str) -> dict[str, str]:
    """The page's live regions by name (data-live-region): the fragments the server renders for
    the live board to patch in (assets/live.js refetch)."""
    parser = _Regions()
    parser.feed(html)
    return {name: parts[0] for name, parts in parser.regions.items()}
