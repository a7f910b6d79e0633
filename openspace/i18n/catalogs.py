"""The message catalogs: extracting texts, updating and compiling the catalogs, the pseudo-locale,
the browser's JSON catalogs, and the check CI runs.

    translations/messages.pot                  every wrapped English text (pybabel extract)
    translations/<locale>/LC_MESSAGES/messages.po   one per language (committed)
    translations/<locale>/LC_MESSAGES/messages.mo   compiled (git-ignored: made by `make setup`,
                                               `make translations`, and at start-up when stale)
    translations/en_001/                       the pseudo-locale (generated, git-ignored)

`python -m openspace.i18n update|compile|check` (the make targets `translations` and `lint`)
runs pybabel with the arguments below, so the command line, the Makefile and the check agree.
Locations are written without line numbers: moving code does not touch the catalogs.
"""

from __future__ import annotations

import contextlib
import gettext as stdlib_gettext
import io
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable
from functools import lru_cache
from hashlib import sha256
from pathlib import Path

from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface
from babel.messages.mofile import write_mo
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po, write_po

from . import DEFAULT, LANGUAGES, PSEUDO, babel_id

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parent.parent.parent
DIRECTORY = ROOT / "translations"
POT = DIRECTORY / "messages.pot"
MAPPING = ROOT / "babel.cfg"
DOMAIN = "messages"
# What the browser gets: the texts wrapped in these sources (and nothing else).
BROWSER_SOURCES = ("assets/",)
# Wrapping functions beyond pybabel's defaults (_, gettext, ngettext, pgettext, npgettext...).
KEYWORDS = ("_l", "lazy_gettext", "lazy_ngettext:1,2", "lazy_pgettext:1c,2")
EXTRACT_ARGS = (
    "-F", MAPPING.name, "--add-location=file", "--sort-by-file", "-c", "TRANSLATORS:",
    "--project=openspace", "--copyright-holder=openspace contributors",
    *[arg for keyword in KEYWORDS for arg in ("-k", keyword)],
)
# The source languages' catalogs that may stay untranslated (the msgid is the English text).
SOURCE_LANGUAGES = (DEFAULT,)


def po_path(tag: str, directory: Path = DIRECTORY) -> Path:
    return directory / babel_id(tag) / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(tag: str) -> Path:
    return po_path(tag).with_suffix(".mo")


def _pybabel(*args: str) -> None:
    log.info("pybabel %s", " ".join(args))
    CommandLineInterface().run(["pybabel", "-q", *args])


def _read(path: Path, tag: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=babel_id(tag) if tag else None)


def _atomic_write(path: Path, data: bytes) -> None:
    """Write `path` whole or not at all: several server processes may start at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# Extract and update ------------------------------------------------------------------------------

def _ids(catalog: Catalog) -> dict[object, bool]:
    """Each message's key ((context, msgid) or msgid) and whether it has a plural."""
    return {(m.context, m.id if isinstance(m.id, str) else m.id[0]): m.pluralizable
            for m in catalog if m.id and not getattr(m, "obsolete", False)}


def extract(output: Path, root: Path = ROOT) -> Catalog:
    """Run pybabel extract over the sources into `output`; the catalog it wrote. From the
    project's root, so locations are relative paths ("assets/live.js")."""
    with contextlib.chdir(root):
        _pybabel("extract", *EXTRACT_ARGS, "-o", str(output), ".")
    return _read(output)


def update() -> None:
    """Extract the texts into messages.pot, merge it into every language's catalog (new texts
    come in untranslated, changed ones marked fuzzy, gone ones dropped), compile, and rebuild
    the pseudo-locale. The .pot is rewritten only when its texts changed (no churn of dates)."""
    with tempfile.TemporaryDirectory() as tmp:
        fresh_path = Path(tmp) / "messages.pot"
        fresh = extract(fresh_path)
        if not POT.exists() or _entries(_read(POT)) != _entries(fresh):
            _atomic_write(POT, fresh_path.read_bytes())
    for tag in LANGUAGES:  # one by one: `-d` alone would visit the pseudo-locale too
        path = po_path(tag)
        if not path.exists():
            _pybabel("init", "-i", str(POT), "-d", str(DIRECTORY), "-l", babel_id(tag),
                     "--no-wrap")
            _unmark_header(path, tag)
        _pybabel("update", "-i", str(POT), "-d", str(DIRECTORY), "-l", babel_id(tag),
                 "--ignore-obsolete", "--ignore-pot-creation-date", "--no-wrap")
    compile_all(force=True)


def _entries(catalog: Catalog) -> list[tuple]:
    return [(m.context, m.id, tuple(sorted(m.locations)), tuple(m.auto_comments))
            for m in catalog if m.id]


def _unmark_header(path: Path, tag: str) -> None:
    """pybabel init marks a new catalog's header fuzzy; ours is complete as soon as its texts
    are translated, so the header is not something to review."""
    catalog = _read(path, tag)
    catalog.fuzzy = False
    out = io.BytesIO()
    write_po(out, catalog, width=0)
    _atomic_write(path, out.getvalue())


# Compile -----------------------------------------------------------------------------------------

def _stale(target: Path, source: Path) -> bool:
    return not target.exists() or target.stat().st_mtime_ns < source.stat().st_mtime_ns


def compile_catalog(po: Path, mo: Path) -> None:
    catalog = _read(po, po.parent.parent.name)
    out = io.BytesIO()
    write_mo(out, catalog, use_fuzzy=False)
    _atomic_write(mo, out.getvalue())


def compile_all(*, force: bool = False, pseudo: bool = True) -> list[str]:
    """Compile every catalog whose .mo is missing or older than its .po (all with `force`),
    and regenerate the pseudo-locale from the .pot when it is stale; the tags compiled."""
    done = []
    if pseudo and POT.exists() and (force or _stale(po_path(PSEUDO), POT)):
        write_pseudo()
    tags = list(LANGUAGES) + ([PSEUDO] if pseudo else [])
    for tag in tags:
        po, mo = po_path(tag), mo_path(tag)
        if po.exists() and (force or _stale(mo, po)):
            compile_catalog(po, mo)
            done.append(tag)
    return done


def ensure_compiled(*, pseudo: bool) -> None:
    """At start-up: a fresh clone, a `git pull` or an edited .po just works. A tree the server
    may not write to keeps its catalogs as they are (compile them at build time then)."""
    try:
        compiled = compile_all(pseudo=pseudo)
    except OSError as error:
        log.warning("could not compile the message catalogs (%s); run "
                    "`python -m openspace.i18n compile` where the tree is writable", error)
        return
    if compiled:
        log.info("compiled the message catalogs of %s", ", ".join(compiled))


# The pseudo-locale -------------------------------------------------------------------------------

# What must pass through untouched: placeholders, markup, entities.
_KEEP = re.compile(r"%\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%[sdifr%]|<[^>]*>|&#?\w+;|\{[^}]*\}")
_ACCENTED = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "àƀçđéƒĝĥîĵķĺɱñöþǫŕšţûṽŵẋýžÀƁÇĐÉƑĜĤÎĴĶĹṀÑÖÞǪŔŠŢÛṼŴẊÝŽ",
)


def pseudo_text(text: str) -> str:
    """"Log in" -> "[Ĺöĝ îñ~~~]": accented (English slips through unaccented), 40 % longer
    (German and French run long), bracketed (a cut-off text shows). Placeholders, tags and
    entities are kept as they are."""
    if not text:
        return text
    parts, last, visible = [], 0, 0
    for match in _KEEP.finditer(text):
        chunk = text[last:match.start()]
        parts += [chunk.translate(_ACCENTED), match.group(0)]
        visible += len(chunk)
        last = match.end()
    tail = text[last:]
    parts.append(tail.translate(_ACCENTED))
    visible += len(tail)
    padding = "~" * max(1, round(visible * 0.4))
    return "[" + "".join(parts) + padding + "]"


def write_pseudo() -> None:
    """translations/en_001/: every text of the .pot through pseudo_text (English plurals)."""
    template = _read(POT)
    catalog = Catalog(locale=babel_id(PSEUDO), domain=DOMAIN, project="openspace",
                      fuzzy=False)
    for message in template:
        if not message.id:
            continue
        if message.pluralizable:
            string = tuple(pseudo_text(s) for s in message.id)
        else:
            string = pseudo_text(message.id)
        catalog.add(message.id, string, locations=message.locations, flags=message.flags,
                    context=message.context)
    out = io.BytesIO()
    write_po(out, catalog, width=0)
    _atomic_write(po_path(PSEUDO), out.getvalue())
    compile_catalog(po_path(PSEUDO), mo_path(PSEUDO))


# The browser's catalogs --------------------------------------------------------------------------

def _for_browser(message: Message) -> bool:
    return any(str(path).startswith(BROWSER_SOURCES) for path, _line in message.locations)


def _plural_categories(catalog: Catalog, tag: str) -> list[str]:
    """Which CLDR plural category (what the browser's Intl.PluralRules answers) each of the
    catalog's gettext plural forms stands for, in form order."""
    form_of = stdlib_gettext.c2py(catalog.plural_expr)
    rule = Locale.parse(babel_id(tag)).plural_form
    names = [""] * catalog.num_plurals
    for n in range(0, 1000):
        index = form_of(n)
        if 0 <= index < len(names) and not names[index]:
            names[index] = rule(n)
    return [name or "other" for name in names]


@lru_cache(maxsize=32)
def _browser_catalog(tag: str, path: str, mtime_ns: int) -> tuple[str, str]:
    catalog = _read(Path(path), tag)
    categories = _plural_categories(catalog, tag)
    messages: dict[str, object] = {}
    for message in catalog:
        if not message.id or not _for_browser(message) or message.fuzzy:
            continue
        if message.pluralizable:
            forms = {name: text for name, text in zip(categories, message.string, strict=False)
                     if text}
            if len(forms) != len(categories):
                continue  # untranslated: the browser falls back to the English texts
            value: object = forms
            key = message.id[0]
        else:
            if not message.string:
                continue
            value, key = message.string, message.id
        if message.context:
            key = f"{message.context}\x04{key}"
        messages[key] = value
    return _browser_catalog_of(tag, messages)


def browser_catalog(tag: str) -> tuple[str, str]:
    """The JSON the browser code translates with, and its content hash (for the URL):
    {"language": tag, "messages": {msgid: text, msgid: {"one": text, "other": text}}}. Built
    from the same .po as the pages' texts; only texts wrapped in assets/ go in. A language
    without a catalog gets no messages (the browser shows the English texts)."""
    path = po_path(tag)
    if not path.exists():
        return _browser_catalog_of(tag, {})
    return _browser_catalog(tag, str(path), path.stat().st_mtime_ns)


def _browser_catalog_of(tag: str, messages: dict) -> tuple[str, str]:
    body = json.dumps({"language": tag, "messages": messages}, ensure_ascii=False,
                      sort_keys=True, separators=(",", ":"))
    return body, sha256(body.encode()).hexdigest()[:12]


# The check ---------------------------------------------------------------------------------------

def _describe(keys: Iterable[object]) -> str:
    shown = sorted(repr(k[1] if isinstance(k, tuple) else k) for k in keys)
    more = f" and {len(shown) - 5} more" if len(shown) > 5 else ""
    return ", ".join(shown[:5]) + more


def check(tags: Iterable[str] = tuple(LANGUAGES), root: Path = ROOT) -> list[str]:
    """What is wrong with the catalogs, in words (empty: nothing). Out of date: the sources
    wrap texts the .pot or a catalog lacks, or the other way round. Incomplete: a launch
    language has an untranslated or fuzzy text, or a translation whose placeholders differ
    from the English text's."""
    problems: list[str] = []
    hint = " (run `make translations`)"
    with tempfile.TemporaryDirectory() as tmp:
        fresh = _ids(extract(Path(tmp) / "messages.pot", root))
    pot = root / POT.relative_to(ROOT)
    if not pot.exists():
        return [f"{pot.relative_to(root)} is missing{hint}"]
    template = _ids(_read(pot))
    if template != fresh:
        problems.append(_difference(str(pot.relative_to(root)), fresh, template) + hint)
    for tag in tags:
        path = po_path(tag, root / DIRECTORY.relative_to(ROOT))
        where = str(path.relative_to(root))
        if not path.exists():
            problems.append(f"{where} is missing{hint}")
            continue
        catalog = _read(path, tag)
        ids = _ids(catalog)
        if ids != fresh:
            problems.append(_difference(where, fresh, ids) + hint)
        expected = get_plural(babel_id(tag))
        if catalog.num_plurals != expected.num_plurals:
            problems.append(f"{where}: Plural-Forms should be {expected.plural_forms}")
        if tag not in SOURCE_LANGUAGES:
            problems += _incomplete(where, catalog)
    return problems


def incomplete(tag: str, root: Path = ROOT) -> list[str]:
    """What one language's catalog lacks, in words (empty: every text translated, none fuzzy,
    placeholders as the English ones): check()'s per-language part, without the extraction."""
    path = po_path(tag, root / DIRECTORY.relative_to(ROOT))
    return _incomplete(str(path.relative_to(root)), _read(path, tag))


def _incomplete(where: str, catalog: Catalog) -> list[str]:
    problems: list[str] = []
    untranslated = [m.id for m in catalog if m.id and not _translated(m, catalog)]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    if untranslated:
        problems.append(f"{where}: {len(untranslated)} untranslated: "
                        f"{_describe(untranslated)}")
    if fuzzy:
        problems.append(f"{where}: {len(fuzzy)} fuzzy (review, then remove the fuzzy "
                        f"flag): {_describe(fuzzy)}")
    for message, errors in catalog.check():
        problems.append(f"{where}: {message.id!r}: " + "; ".join(map(str, errors)))
    return problems


def _translated(message: Message, catalog: Catalog) -> bool:
    if message.pluralizable:
        strings = message.string if isinstance(message.string, (list, tuple)) else ()
        return len(strings) >= catalog.num_plurals and all(strings[:catalog.num_plurals])
    return bool(message.string)


def _difference(where: str, fresh: dict, have: dict) -> str:
    missing = [k for k in fresh if k not in have]
    stale = [k for k in have if k not in fresh]
    changed = [k for k in fresh if k in have and fresh[k] != have[k]]
    parts = []
    if missing:
        parts.append(f"lacks {_describe(missing)}")
    if stale:
        parts.append(f"still has {_describe(stale)} (no longer in the sources)")
    if changed:
        parts.append(f"has the wrong plural for {_describe(changed)}")
    return f"{where} is out of date with the sources: " + "; ".join(parts)


# Merging branches ---------------------------------------------------------------------------------

def merge(ours: Path, base: Path, theirs: Path) -> None:
    """Git's merge driver for the catalogs (.gitattributes; docs/translating.md): two branches
    that each wrapped and translated texts both keep theirs. Every message of either side is
    kept, a translation beats none, and where both translated one text differently ours stays.
    Texts one side no longer wraps drop out at the next `update`, which rereads the sources."""
    del base  # a message both sides dropped is gone from both; nothing to learn from the base
    merged = _read(ours)
    for message in _read(theirs):
        if not message.id:
            continue
        have = merged.get(message.id, message.context)
        if have is None:
            merged[message.id] = message
        elif not _has_translation(have) and _has_translation(message):
            have.string = message.string
            have.flags = set(message.flags)
    buffer = io.BytesIO()
    write_po(buffer, merged, width=0)
    _atomic_write(ours, buffer.getvalue())


def _has_translation(message: Message) -> bool:
    strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
    return all(strings) and "fuzzy" not in message.flags


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m openspace.i18n",
                                     description="Manage the message catalogs.")
    if argv is None:
        import sys
        argv = sys.argv[1:]
    if argv[:1] == ["merge"]:  # git: merge %A %O %B (ours, base, theirs); the result in %A
        merge(*(Path(arg) for arg in argv[1:4]))
        return 0
    parser.add_argument("command", choices=["update", "compile", "check"],
                        help="update: extract + update + compile; compile: the .mo files "
                             "and the pseudo-locale that are missing or stale; check: fail "
                             "when a catalog is out of date or incomplete")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    if args.command == "update":
        update()
    elif args.command == "compile":
        compiled = compile_all()
        if compiled:
            print(f"Compiled the catalogs of {', '.join(compiled)}.")
    else:
        problems = check()
        for problem in problems:
            print(problem)
        if problems:
            return 1
        print(f"The catalogs of {', '.join(LANGUAGES)} are complete and up to date.")
    return 0
