"""Report event-loop stalls: code that blocks the one OS thread every socket is served from.

Under eventlet or gevent, one blocking call (a slow fsync, a long garbage collection, CPU-heavy
work) stops every connection at once: acks, broadcasts and heartbeats. The watchdog is a real OS
thread (not a green one, so it runs while the loop is stuck) that notices when a green
heartbeat has not ticked for `threshold` seconds and logs what the loop's thread is doing at
that moment, once per stall, then how long the stall lasted.

`openspace serve` starts it when OPENSPACE_STALL_REPORT is set to a number of seconds.
"""

from __future__ import annotations

import logging
import sys
import time
import traceback

log = logging.getLogger("openspace.stall")


def _original(module: str, name: str):
    """The unpatched standard-library function, whatever monkey-patching happened."""
    if "gevent.monkey" in sys.modules:
        from gevent import monkey

        return monkey.get_original(module, name)
    if "eventlet" in sys.modules:
        from eventlet import patcher

        return getattr(patcher.original(module), name)
    return getattr(__import__(module), name)


def start(threshold: float, *, sleep, spawn) -> None:
    """Watch the loop: `sleep` and `spawn` are the async mode's (socketio.sleep, start_task)."""
    loop_thread = _original("_thread", "get_ident")()
    os_sleep = _original("time", "sleep")
    new_thread = _original("_thread", "start_new_thread")
    last_tick = [time.monotonic()]

    def heartbeat() -> None:
        while True:
            last_tick[0] = time.monotonic()
            sleep(threshold / 4)

    def watch() -> None:
        stalled_since = None
        while True:
            os_sleep(threshold / 4)
            silent = time.monotonic() - last_tick[0]
            if silent >= threshold and stalled_since is None:
                stalled_since = last_tick[0]
                frame = sys._current_frames().get(loop_thread)
                where = "".join(traceback.format_stack(frame)) if frame else "(no frame)\n"
                log.warning("event loop stalled for %.1f s so far; it is at:\n%s", silent, where)
            elif silent < threshold and stalled_since is not None:
                log.warning("event loop stall over: about %.1f s",
                            last_tick[0] - stalled_since)
                stalled_since = None

    spawn(heartbeat)
    new_thread(watch, ())
