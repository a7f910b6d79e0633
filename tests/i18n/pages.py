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
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0          # inside <main>
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
            if name == "value" and dict(attrs).get("type") in ("submit", "button"):
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


def main_texts(html: str) -> list[str]:
    """The text nodes (and shown attributes) inside <main>, outside code and form values."""
    parser = _Main()
    parser.feed(html)
    return parser.texts


def english_left(html: str, data: tuple[str, ...] = ()) -> list[str]:
    """Texts of <main> with plain English in them once `data` (names, addresses, codes the
    test itself typed) is taken out: each one a text that did not go through the catalogs."""
    data = tuple(sorted({*data, "openspace"}, key=len, reverse=True))
    left = []
    for text in main_texts(html):
        rest = text
        for value in data:
            rest = rest.replace(value, " ")
        if _ASCII_WORD.search(_DATE_WORDS.sub(" ", rest)):
            left.append(text)
    return left
