"""The stall watchdog names the code that blocks the event loop (under real eventlet/gevent)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import logging, sys, time
    MODE = sys.argv[1]
    if MODE == "eventlet":
        import eventlet
        eventlet.monkey_patch()
        sleep, spawn = eventlet.sleep, eventlet.spawn
        from eventlet.patcher import original
        blocking_sleep = original("time").sleep
    else:
        from gevent import monkey
        monkey.patch_all()
        import gevent
        sleep, spawn = gevent.sleep, gevent.spawn
        blocking_sleep = monkey.get_original("time", "sleep")
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    from openspace import watchdog

    def fsync_that_takes_forever():
        blocking_sleep(1.2)  # a call that does not yield to the loop

    watchdog.start(0.3, sleep=sleep, spawn=spawn)
    sleep(0.5)  # the loop is healthy: nothing to report
    print("healthy", flush=True)
    fsync_that_takes_forever()
    sleep(0.5)  # the loop runs again: the end of the stall is reported
""")


@pytest.mark.parametrize("mode", ["eventlet", "gevent"])
def test_a_blocked_loop_is_reported_with_the_blocking_call(mode):
    result = subprocess.run([sys.executable, "-W", "ignore", "-c", SCRIPT, mode],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    before, _, after = result.stdout.partition("healthy")
    assert after == "\n"
    # Nothing was reported before the stall; during it, the stack names the blocking function.
    reports = result.stderr.split("openspace.stall: ")
    assert len(reports) == 3, result.stderr
    assert reports[1].startswith("event loop stalled for")
    assert "fsync_that_takes_forever" in reports[1]
    assert reports[2].startswith("event loop stall over: about")
