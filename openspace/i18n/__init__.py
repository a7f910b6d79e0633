"""Languages: which ones openspace speaks, and the gettext functions every layer wraps text in.

Texts are written in English and wrapped where they are written: `_()` / `ngettext()` in Python,
`{{ _() }}` / `{% trans %}` in templates, `_()` / `ngettext()` from assets/i18n.js in the
browser (docs/translating.md). Flask-Babel picks the request's language once
(openspace/web/i18n.py chooses it); `in_language(tag)` speaks another one for a block, e.g. the
event's language for a new note's report template or the summary's headings.

Language tags are BCP 47 ("pt-BR") wherever they leave Python: the database, the API, the
export, the cookie, `<html lang>`. Babel's identifiers ("pt_BR") appear only at the Babel
boundary (`babel_id`), and as the folder names under translations/.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from babel import Locale
from flask import current_app, has_app_context
from flask_babel import (
    force_locale,
    get_locale,
    gettext,
    lazy_gettext,
    lazy_ngettext,
    ngettext,
    npgettext,
    pgettext,
)

__all__ = ["DEFAULT", "LANGUAGES", "PSEUDO", "_", "_l", "available", "babel_id", "current",
           "direction", "gettext", "in_language", "lazy_gettext", "lazy_ngettext", "ngettext",
           "npgettext", "pgettext", "supported", "tag_of"]

# The launch languages, each named in itself (what the language switch shows). Every one has a
# complete catalog under translations/ (the catalog check fails otherwise).
LANGUAGES: dict[str, str] = {
    "en": "English",
    "de": "Deutsch",
    "fr": "Français",
    "it": "Italiano",
    "nl": "Nederlands",
    "es": "Español",
    "pt-BR": "Português (Brasil)",
    "ja": "日本語",
}
DEFAULT = "en"
# The pseudo-locale: every text bracketed and 40 % longer, generated from the .pot by
# openspace/i18n/catalogs.py (never edited by hand), offered only with OPENSPACE_PSEUDO_LOCALE
# (tests, and developers looking for text that did not go through the catalogs). Babel knows
# no "en-XA", so a real but unused English variant carries it.
PSEUDO = "en-001"
PSEUDO_NAME = "[Pseudo]"

_ = gettext
_l = lazy_gettext


def babel_id(tag: str) -> str:
    """"pt-BR" -> "pt_BR" (Babel's spelling, and the catalog's folder name)."""
    return tag.replace("-", "_")


def tag_of(locale: Locale | str) -> str:
    """A Babel locale (or identifier) as a BCP 47 tag: pt_BR -> "pt-BR"."""
    return str(locale).replace("_", "-")


def pseudo_enabled() -> bool:
    return has_app_context() and bool(current_app.config.get("PSEUDO_LOCALE"))


def available() -> dict[str, str]:
    """The languages a viewer can choose here: the launch ones, plus the pseudo-locale when
    this instance offers it."""
    if pseudo_enabled():
        return {**LANGUAGES, PSEUDO: PSEUDO_NAME}
    return LANGUAGES


def supported(tag: object) -> bool:
    """A language tag this instance speaks (exactly as spelled in LANGUAGES)."""
    return isinstance(tag, str) and tag in available()


def current() -> str:
    """The tag of the language being spoken now (the request's, or in_language's)."""
    locale = get_locale()
    return tag_of(locale) if locale is not None else DEFAULT


def direction(tag: str | None = None) -> str:
    """"ltr" or "rtl" for <html dir>: Babel knows each language's script direction."""
    return _direction(tag or current())


@lru_cache(maxsize=64)
def _direction(tag: str) -> str:
    return Locale.parse(babel_id(tag)).text_direction


@contextmanager
def in_language(tag: str | None) -> Iterator[None]:
    """Speak `tag` (an event's language, say) inside the block, whatever the request speaks.
    Unknown or empty tags speak English."""
    with force_locale(babel_id(tag if supported(tag) else DEFAULT)):
        yield
