"""The catalogs: complete and up to date (CI fails otherwise), the check's findings, the
pseudo-locale, and the browser's catalogs made from the same .po files."""

from __future__ import annotations

import json
import shutil

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from openspace import i18n
from openspace.domain import events
from openspace.extensions import db
from openspace.i18n import catalogs
from openspace.models import Event, User


def test_the_catalogs_are_complete_and_up_to_date():
    assert catalogs.check() == []


@pytest.mark.parametrize("tag", [t for t in i18n.LANGUAGES if t not in catalogs.SOURCE_LANGUAGES])
def test_each_launch_language_has_every_text_translated_and_none_fuzzy(tag):
    assert catalogs.incomplete(tag) == []


def test_the_source_language_is_the_only_one_left_untranslated():
    assert list(catalogs.SOURCE_LANGUAGES) == [i18n.DEFAULT]


# The check, on a small project of its own --------------------------------------------------------

SOURCES = {
    "openspace/thing.py": 'from openspace.i18n import _, ngettext\n'
                          'A = _("Hello")\nB = _("Hi %(name)s", name="x")\n'
                          'C = ngettext("%(num)d seat", "%(num)d seats", 2)\n',
    "templates/page.html": '<p>{{ _("Good morning") }}</p>\n',
    "assets/app.js": 'import { _ } from "./i18n.js";\n_("Live");\n',
}
GERMAN = {"Hello": "Hallo", "Hi %(name)s": "Hi %(name)s", "%(num)d seat":
          ("%(num)d Platz", "%(num)d Plätze"), "Good morning": "Guten Morgen", "Live": "Live"}


@pytest.fixture
def project(tmp_path):
    shutil.copy(catalogs.MAPPING, tmp_path / "babel.cfg")
    for path, text in SOURCES.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    (tmp_path / "translations").mkdir()
    template = catalogs.extract(tmp_path / "translations" / "messages.pot", tmp_path)
    return tmp_path, template


def _german(root, template, strings=GERMAN, flags=None) -> None:
    catalog = Catalog(locale="de", fuzzy=False)
    for message in template:
        if message.id:
            key = message.id if isinstance(message.id, str) else message.id[0]
            catalog.add(message.id, strings.get(key, ""), locations=message.locations,
                        flags=(flags or {}).get(key, ()))
    path = catalogs.po_path("de", root / "translations")
    path.parent.mkdir(parents=True)
    with path.open("wb") as f:
        write_po(f, catalog)


def test_a_complete_catalog_passes(project):
    root, template = project
    _german(root, template)
    assert catalogs.check(("de",), root) == []


def test_a_text_wrapped_but_not_in_the_catalogs_fails(project):
    root, template = project
    _german(root, template)
    (root / "templates" / "page.html").write_text('{{ _("Good morning") }} {{ _("Bye") }}\n')
    problems = catalogs.check(("de",), root)
    assert len(problems) == 2  # the .pot and the German catalog
    assert all("lacks 'Bye'" in p and "make translations" in p for p in problems)


def test_a_text_no_longer_in_the_sources_fails(project):
    root, template = project
    _german(root, template)
    (root / "templates" / "page.html").write_text("<p>Good morning</p>\n")
    problems = catalogs.check(("de",), root)
    assert len(problems) == 2
    assert all("still has 'Good morning'" in p for p in problems)


def test_an_untranslated_text_fails(project):
    root, template = project
    _german(root, template, {k: v for k, v in GERMAN.items() if k != "Live"})
    assert catalogs.check(("de",), root) == [
        "translations/de/LC_MESSAGES/messages.po: 1 untranslated: 'Live'"]


def test_a_fuzzy_text_fails(project):
    root, template = project
    _german(root, template, flags={"Hello": ("fuzzy",)})
    [problem] = catalogs.check(("de",), root)
    assert "1 fuzzy" in problem and "'Hello'" in problem


def test_one_languages_incompleteness_is_found_without_extracting(project):
    root, template = project
    _german(root, template, {k: v for k, v in GERMAN.items() if k != "Live"},
            flags={"Hello": ("fuzzy",)})
    untranslated, fuzzy = catalogs.incomplete("de", root)
    assert "1 untranslated: 'Live'" in untranslated and "1 fuzzy" in fuzzy


def test_a_translation_with_other_placeholders_fails(project):
    root, template = project
    _german(root, template, {**GERMAN, "Hi %(name)s": "Hallo %(nom)s"})
    [problem] = catalogs.check(("de",), root)
    assert "'Hi %(name)s'" in problem and "nom" in problem


def test_a_missing_plural_form_fails(project):
    root, template = project
    _german(root, template, {**GERMAN, "%(num)d seat": ("%(num)d Platz", "")})
    [problem] = catalogs.check(("de",), root)
    assert "1 untranslated" in problem


# The pseudo-locale -------------------------------------------------------------------------------

def test_pseudo_text_is_bracketed_accented_longer_and_keeps_what_must_not_change():
    text = catalogs.pseudo_text("Hi %(name)s, <a href=\"%(url)s\">log in</a> &amp; 100%%")
    assert text.startswith("[") and text.endswith("~]")
    for kept in ("%(name)s", '<a href="%(url)s">', "</a>", "&amp;", "%%"):
        assert kept in text
    visible = "Hi ,  log in  100"
    assert text.count("~") >= round(len(visible) * 0.4) - 1
    assert "Ĥî" in text and "ĺöĝ îñ" in text
    assert catalogs.pseudo_text("Log in") == "[Ĺöĝ îñ~~]"


def test_the_pseudo_catalog_holds_every_text_of_the_template():
    catalogs.compile_all(pseudo=True)
    with catalogs.POT.open("rb") as f:
        template = {m.id for m in read_po(f) if m.id}
    with catalogs.po_path(i18n.PSEUDO).open("rb") as f:
        pseudo = {m.id: m.string for m in read_po(f) if m.id}
    assert set(pseudo) == template
    assert all((s if isinstance(s, str) else s[0]).startswith("[") for s in pseudo.values())


# The browser's catalogs --------------------------------------------------------------------------

def _catalog(tag: str) -> dict:
    return json.loads(catalogs.browser_catalog(tag)[0])


def test_the_browser_gets_the_texts_of_assets_only():
    de = _catalog("de")
    assert de["language"] == "de"
    assert de["messages"]["Over capacity"] == "Raum zu klein"
    assert "Log in" not in de["messages"]  # a page text, not one of the browser code


@pytest.mark.parametrize("tag, forms", [
    ("de", {"one": "%(num)d Platz", "other": "%(num)d Plätze"}),
    ("fr", {"one": "%(num)d place", "other": "%(num)d places"}),
    ("pt-BR", {"one": "%(num)d lugar", "other": "%(num)d lugares"}),
    ("ja", {"other": "%(num)d席"}),
])
def test_plural_forms_are_keyed_by_the_cldr_category_the_browser_names(tag, forms):
    assert _catalog(tag)["messages"]["%(num)d seat"] == forms


def test_english_sends_no_texts_the_source_already_has():
    assert _catalog("en")["messages"] == {}


def test_the_catalog_is_served_as_json_and_as_a_script(client):
    response = client.get("/i18n/fr.json")
    assert response.mimetype == "application/json"
    assert response.get_json()["messages"]["Live"] == "En direct"
    assert response.headers["Cache-Control"] == "no-cache"
    _body, digest = catalogs.browser_catalog("fr")
    script = client.get(f"/i18n/fr.js?v={digest}")
    assert script.mimetype == "text/javascript"
    assert script.get_data(as_text=True).startswith('window.openspaceCatalog={"language":"fr"')
    assert script.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    again = client.get("/i18n/fr.js", headers={"If-None-Match": f'"{digest}"'})
    assert again.status_code == 304
    assert client.get("/i18n/xx.json").status_code == 404
    assert client.get(f"/i18n/{i18n.PSEUDO}.json").status_code == 200


def test_pages_with_scripts_load_their_languages_catalog_first(client, world):
    html = client.get(f"/e/{world.event.slug}", headers={"Accept-Language": "ja"}).get_data(
        as_text=True)
    _body, digest = catalogs.browser_catalog("ja")
    catalog = f'<script src="/i18n/ja.js?v={digest}"></script>'
    assert catalog in html
    assert html.index(catalog) < html.index("/static/js/live.js")
    # Every page has a script now (pwa.js: the offline banner, the update prompt): the catalog
    # comes first on every page.
    index = client.get("/").get_data(as_text=True)
    assert index.index('<script src="/i18n/') < index.index("/static/js/pwa.js")


# The glossary ------------------------------------------------------------------------------------

# Catalog texts that are glossary words: their translations must be the glossary's.
GLOSSARY_TEXTS = {"Board": "board (agenda wall: rooms × time slots)", "Session": "session",
                  "Room": "room", "Plenary": "plenary", "Convener": "convener",
                  "Now & Next": "Now & Next", "Projector": "projector (wall screen)",
                  "Summary": "summary (the app's page of it)"}
GLOSSARY_COLUMNS = ["en", "de", "fr", "it", "nl", "es", "pt-BR", "ja"]


def _glossary() -> dict[str, dict[str, str]]:
    text = (catalogs.ROOT / "docs" / "translating.md").read_text()
    table = text[text.index("## Glossary"):]
    rows = [line.strip("|").split(" | ") for line in table.splitlines()
            if line.startswith("| ") and not line.startswith("| ---")]
    header, *body = rows
    assert [cell.strip() for cell in header][1:] == [i18n.LANGUAGES[t] for t in
                                                      GLOSSARY_COLUMNS[1:]]
    return {row[0].strip(): dict(zip(GLOSSARY_COLUMNS, (c.strip() for c in row), strict=True))
            for row in body}


@pytest.mark.parametrize("tag", [t for t in i18n.LANGUAGES if t != "en"])
def test_the_catalogs_say_the_glossarys_words(tag):
    glossary = _glossary()
    with catalogs.po_path(tag).open("rb") as f:
        strings = {m.id: m.string for m in read_po(f) if m.id}
    for msgid, term in GLOSSARY_TEXTS.items():
        word = glossary[term][tag]
        assert strings[msgid] == word[:1].upper() + word[1:], (msgid, tag)


def test_the_projector_loads_the_events_catalog_before_its_scripts(app, client, world):
    with app.app_context():
        events.update_event(event=db.session.get(Event, world.event.id),
                            user=db.session.get(User, world.organizer.id),
                            data={"language": "nl"})
    html = client.get(f"/e/{world.event.slug}/projector").get_data(as_text=True)
    _body, digest = catalogs.browser_catalog("nl")
    catalog = f'<script src="/i18n/nl.js?v={digest}"></script>'
    assert catalog in html and html.index(catalog) < html.index("/static/js/live.js")
