"""CPU-heavy work (password hashing, photo processing) off the server's event loop.

Under eventlet or gevent the whole server runs on one OS thread: a function that computes for a
tenth of a second stops every other client for that long. `off_the_hub` runs such work in a
real OS thread of the green library's pool, and the calling green thread waits for it while
the loop serves everyone else; the work must release the GIL while it computes (hashlib's
scrypt and pbkdf2 and Pillow's decoders do). `Slots` bounds how many run at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from ..extensions import socketio

T = TypeVar("T")


def off_the_hub(work: Callable[[], T]) -> T:
    """Run `work` in a real OS thread when the server is green (eventlet or gevent), so its one
    event-loop thread keeps serving other clients meanwhile; call it directly otherwise."""
    mode = getattr(socketio, "async_mode", None)  # None: no app (a script, a unit test)
    if mode == "eventlet":
        from eventlet import patcher, tpool  # eventlet only when the server runs on it

        if patcher.is_monkey_patched("thread"):
            return tpool.execute(work)
    elif mode == "gevent":
        from gevent import monkey  # gevent only when the server runs on it

        if monkey.is_module_patched("threading"):
            import gevent

            return gevent.get_hub().threadpool.apply(work)
    return work()


class Slots:
    """At most `size` pieces of work off the hub at once; the others wait their turn.

    Made when the module using it is imported, after `openspace serve` patched threading: under
    eventlet/gevent the semaphore is green, so waiting for a turn does not block the server."""

    def __init__(self, size: int) -> None:
        self._semaphore = threading.BoundedSemaphore(size)

    def run(self, work: Callable[[], T]) -> T:
        with self._semaphore:
            return off_the_hub(work)
