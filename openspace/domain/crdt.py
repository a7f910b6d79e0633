"""Yjs wire formats, read just enough to check what clients send (pycrdt applies the rest).

A Yjs v1 update is: the structs per client, then the delete set; a state vector is a list of
(client id, clock); an awareness update (y-protocols) is a list of (client id, clock, JSON
state). All numbers are LEB128 variable-length unsigned integers.
"""

from __future__ import annotations

import json

from pycrdt import get_update as diff_update

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
    count, at = varuint(rest, 1)
    for _ in range(count):
        client, at = varuint(rest, at)
        ranges, at = varuint(rest, at)
        for _ in range(ranges):
            clock, at = varuint(rest, at)
            length, at = varuint(rest, at)
            if clock + length > clocks.get(client, 0):
                return True  # deletes something the Doc has never seen
    return False


def is_awareness_update(data: bytes) -> bool:
    """A well-formed y-protocols awareness update: count, then (client id, clock, JSON) each."""
    try:
        count, at = varuint(data, 0)
        for _ in range(count):
            _client, at = varuint(data, at)
            _clock, at = varuint(data, at)
            length, at = varuint(data, at)
            if at + length > len(data):
                return False
            json.loads(data[at:at + length].decode())
            at += length
    except (IndexError, ValueError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        return False
    return at == len(data)
