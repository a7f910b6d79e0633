"""Run a Python program and log its garbage-collector pauses to stderr (for bench/fanout.py).

    python bench/gc_probe.py -m openspace serve --port 5000
    python bench/gc_probe.py bench/floor_relay.py --port 5001

Every full (generation 2) collection, and any collection of 5 ms or more, is logged as
`gc-probe: gen2 123.4 ms`. Imports nothing but the standard library before the program runs, so
a program that monkey-patches first (openspace serve, the floor relay) still does.

Experiment: with GC_PROBE_FREEZE_AFTER=<seconds>, an OS thread calls gc.freeze() that long after
start (after the app is imported and built, before clients connect), so full collections stop
traversing everything allocated at start-up - what an app could do itself before serving.
"""

import _thread
import gc
import os
import runpy
import sys
import time

_started = [0.0]


def _on_gc(phase: str, info: dict) -> None:
    if phase == "start":
        _started[0] = time.perf_counter()
        return
    elapsed = (time.perf_counter() - _started[0]) * 1000
    if info["generation"] == 2 or elapsed >= 5:
        sys.stderr.write(f"gc-probe: gen{info['generation']} {elapsed:.1f} ms\n")
        sys.stderr.flush()


def main() -> None:
    args = sys.argv[1:]
    if not args:
        raise SystemExit(__doc__)
    gc.callbacks.append(_on_gc)
    if delay := float(os.environ.get("GC_PROBE_FREEZE_AFTER") or 0):
        def freeze() -> None:
            time.sleep(delay)  # a real OS thread: started before any monkey-patching
            gc.freeze()
            sys.stderr.write(f"gc-probe: froze {gc.get_freeze_count()} objects\n")

        _thread.start_new_thread(freeze, ())
    if args[0] == "-m":
        sys.argv = [args[1], *args[2:]]
        runpy.run_module(args[1], run_name="__main__", alter_sys=True)
    else:
        sys.argv = args
        runpy.run_path(args[0], run_name="__main__")


if __name__ == "__main__":
    main()
