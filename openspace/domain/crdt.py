"""Yjs wire formats, read just enough to check what clients send (pycrdt applies the rest).

A Yjs v1 update is: the structs per client, then the delete set; a state vector is a list of
(client id, clock); an awareness update (y-protocols) is a list of (client id, clock, JSON
state). All numbers are LEB128 variable-length unsigned integers.

A note is one Y.Text of plain text (`text_update_problem` says what else an update would put
into it); pycrdt applies what passes. Why read the structs rather than look at the Doc after
applying: pycrdt shows neither Y.Array items inside a Y.Text nor a Y.Text's attributes (its
diff() and str() skip both), while Yjs in the browser counts them, which shifts every later
edit; the structs name each item's kind and parent whatever the Doc shows.
"""

from __future__ import annotations

from typing import NamedTuple

from pycrdt import get_update as diff_update

from .validation import InvalidJSON, loads_json

EMPTY_UPDATE = b"\x00\x00"  # no structs, no deletions
EMPTY_STATE = b"\x00"  # a Doc that has seen nothing


def varuint(data: bytes, at: int) -> tuple[int, int]:
    """The number at `at` and the offset after it (IndexError or ValueError when malformed)."""
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, at
        if shift > 70:
            raise ValueError("varuint too long")


def state_clocks(state: bytes) -> dict[int, int]:
    """A state vector as {client id: the next clock expected from it}."""
    count, at = varuint(state, 0)
    clocks = {}
    for _ in range(count):
        client, at = varuint(state, at)
        clocks[client], at = varuint(state, at)
    return clocks


def lacks_dependencies(update: bytes, state: bytes) -> bool:
    """After applying `update`, does the Doc (whose state vector is now `state`) still lack what
    the update builds on? Yjs keeps such structs and deletions "pending", and a Doc's full state
    (Doc.get_update, what a snapshot stores) leaves pending ones out."""
    rest = diff_update(update, state)  # the update's structs the state does not cover + deletes
    if rest[:1] != b"\x00":
        return True
    clocks = state_clocks(state)
    deletions, _ = _delete_set(rest, 1)
    # Does it delete something the Doc has never seen?
    return any(clock + length > clocks.get(client, 0) for client, clock, length in deletions)


def builds_on_unknown(update: bytes, clocks: dict[int, int]) -> bool:
    """Does a v1 update of plain text (one that text_update_problem passes) build on something
    a Doc whose state is `clocks` has never seen: a struct that does not follow on from what
    the Doc has of its client, an origin that is neither in the Doc nor in the update, a
    deletion of what neither holds? Yjs would keep such an update pending; asking first spares
    applying it to the Doc and taking it back. The update's own structs count as known, in
    any order."""
    own: dict[int, tuple[int, int]] = {}  # client -> [first clock, end) the update brings
    origins: list[tuple[int, int]] = []
    at = 0
    for struct in _text_structs(update):
        if isinstance(struct, _Problem):
            raise ValueError(struct.problem)  # the caller checks the shape first
        if isinstance(struct, _End):
            at = struct.at
            break
        if struct.client not in own and struct.clock > clocks.get(struct.client, 0):
            return True  # a gap: what came between is missing
        first, _ = own.get(struct.client, (struct.clock, 0))
        own[struct.client] = (first, struct.clock + struct.length)
        origins.extend(struct.origins)

    def known(client: int, clock: int) -> bool:
        first, end = own.get(client, (0, 0))
        return clock < clocks.get(client, 0) or first <= clock < end

    if not all(known(client, clock) for client, clock in origins):
        return True
    deletions, _ = _delete_set(update, at)
    return any(clock + length > max(clocks.get(client, 0), own.get(client, (0, 0))[1])
               for client, clock, length in deletions)


# Struct kinds of a Yjs update (the low 5 bits of a struct's info byte) --------------------------
GC, DELETED, JSON, BINARY, STRING, EMBED, FORMAT, TYPE, ANY, DOC, SKIP = range(11)
_KINDS = {JSON: "JSON content", BINARY: "binary content", EMBED: "an embed",
          FORMAT: "formatting", TYPE: "a shared type (XmlElement, Y.Text, Y.Map, ...)",
          ANY: "Y.Array items or Y.Map values", DOC: "a subdocument"}
_ORIGIN, _RIGHT_ORIGIN, _PARENT_SUB = 0x80, 0x40, 0x20


def _string(data: bytes, at: int) -> tuple[bytes, int]:
    """A lib0 varString (its UTF-8 bytes) and the offset after it."""
    length, at = varuint(data, at)
    if at + length > len(data):
        raise IndexError("string past the end")
    return data[at:at + length], at + length


class _Struct(NamedTuple):
    client: int
    clock: int
    length: int  # in clock units (a string's UTF-16 code units)
    origins: tuple[tuple[int, int], ...]  # the (client, clock) ids it is placed next to


class _Problem(NamedTuple):
    problem: str


class _End(NamedTuple):
    at: int  # where the delete set starts


def _text_structs(update: bytes, root: bytes = b""):
    """Read a v1 update's structs for a document that is one Y.Text of plain text: yields a
    _Struct per struct, then _End; or, at the first thing such a text cannot hold, a _Problem
    (its content is not read: the rest cannot be parsed without knowing every kind). With a
    `root`, an item that names its parent must name that root. Malformed bytes raise
    IndexError or ValueError. Items that continue others (they name an origin) inherit their
    parent, so only those that start a sequence name one."""
    clients, at = varuint(update, 0)
    for _ in range(clients):
        structs, at = varuint(update, at)
        client, at = varuint(update, at)
        clock, at = varuint(update, at)
        for _ in range(structs):
            info = update[at]
            at += 1
            kind = info & 0x1F
            if kind in (GC, SKIP):
                length, at = varuint(update, at)
                yield _Struct(client, clock, length, ())
                clock += length
                continue
            origins = []
            for flag in (_ORIGIN, _RIGHT_ORIGIN):
                if info & flag:
                    origin_client, at = varuint(update, at)
                    origin_clock, at = varuint(update, at)
                    origins.append((origin_client, origin_clock))
            if not info & (_ORIGIN | _RIGHT_ORIGIN):
                named, at = varuint(update, at)
                if named != 1:
                    yield _Problem("writes inside a nested type, not the note's text")
                    return
                name, at = _string(update, at)
                if root and name != root:
                    yield _Problem("writes to a root other than the note's text")
                    return
                if info & _PARENT_SUB:
                    yield _Problem("sets an attribute of the note's text")
                    return
            if kind == STRING:
                text, at = _string(update, at)
                length = len(text.decode("utf-8", "surrogatepass").encode("utf-16-le")) // 2
            elif kind == DELETED:
                length, at = varuint(update, at)
            else:
                yield _Problem(f"puts {_KINDS.get(kind, 'unknown content')} into the note")
                return
            yield _Struct(client, clock, length, tuple(origins))
            clock += length
    yield _End(at)


def text_update_problem(update: bytes, root: str) -> str | None:
    """What is wrong with a v1 update for a document that is one Y.Text named `root` of plain
    text, or None: it may only insert strings (or their deleted stand-ins) into that root, and
    delete. Anything else (embeds, formatting, nested types such as XmlElement, Y.Array items,
    the Text's attributes, other roots, subdocuments), a v2 update and bytes past the end of
    the update are refused."""
    try:
        for struct in _text_structs(update, root.encode()):
            if isinstance(struct, _Problem):
                return struct.problem
            if isinstance(struct, _End):
                _, at = _delete_set(update, struct.at)
    except (IndexError, ValueError):
        return "is not a Yjs (v1) update"
    if at != len(update):
        return "is not a Yjs (v1) update (bytes follow its end: a v2 update?)"
    return None


def _delete_set(update: bytes, at: int) -> tuple[list[tuple[int, int, int]], int]:
    """The delete set starting at `at` ((client, [(clock, length)...])...) as (client, clock,
    length) ranges, and the offset after it."""
    deletions = []
    count, at = varuint(update, at)
    for _ in range(count):
        client, at = varuint(update, at)
        ranges, at = varuint(update, at)
        for _ in range(ranges):
            clock, at = varuint(update, at)
            length, at = varuint(update, at)
            deletions.append((client, clock, length))
    return deletions, at


# Awareness ---------------------------------------------------------------------------------------

AWARENESS_DEPTH = 8  # y-codemirror's cursor nests 4 levels deep


def awareness_entries(data: bytes) -> list[tuple[int, int, object]] | None:
    """The (client id, clock, state) entries of a y-protocols awareness update, each state
    parsed from its JSON with its nesting bounded before parsing; None when malformed."""
    entries = []
    try:
        count, at = varuint(data, 0)
        for _ in range(count):
            client, at = varuint(data, at)
            clock, at = varuint(data, at)
            raw, at = _string(data, at)
            entries.append((client, clock, loads_json(raw.decode(), max_depth=AWARENESS_DEPTH)))
    except (IndexError, ValueError, InvalidJSON):  # UnicodeDecodeError is a ValueError
        return None
    return entries if at == len(data) else None


def is_awareness_update(data: bytes) -> bool:
    """A well-formed y-protocols awareness update: count, then (client id, clock, JSON) each."""
    return awareness_entries(data) is not None
