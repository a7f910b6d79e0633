"""Fixtures of the language tests: the page-test world (an event with an organizer, a
participant and an outsider) and a way to read a page's language."""

from __future__ import annotations

import re

from tests.web.conftest import (  # noqa: F401 - fixtures shared with the page tests
    _share_compiled_templates,
    login_as,
    quick_user,
    world,
)

_HTML = re.compile(r"<html lang=\"([^\"]*)\" dir=\"([^\"]*)\">")


def page_language(response) -> tuple[str, str]:
    """(lang, dir) of a page's <html> element."""
    match = _HTML.search(response.get_data(as_text=True))
    assert match, "the page has no <html lang dir>"
    return match.group(1), match.group(2)


from tests.summary.conftest import (  # noqa: E402,F401 - the finished event of the summary tests
    finished,
    interest,
    place,
    write_note,
)
