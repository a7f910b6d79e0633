"""The `openspace` console script.

`openspace serve` monkey-patches the standard library for eventlet or gevent before anything
else is imported (patching late leaves half the program blocking); every other command runs
plainly.
"""

from __future__ import annotations

import os
import sys
import warnings

# eventlet warns on import that it is deprecated; DESIGN.md keeps it as the default on purpose
# (with gevent one setting away), so the warning would only be noise on every command.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")


def _patch_for_serve(argv: list[str]) -> None:
    if len(argv) < 2 or argv[1] != "serve":
        return
    mode = os.environ.get("OPENSPACE_ASYNC_MODE") or "eventlet"
    if mode == "eventlet":
        import eventlet

        eventlet.monkey_patch()
        try:
            from psycogreen.eventlet import patch_psycopg
        except ImportError:  # pragma: no cover - psycogreen is a dependency
            return
        patch_psycopg()
    elif mode == "gevent":
        from gevent import monkey

        monkey.patch_all()
        from psycogreen.gevent import patch_psycopg

        patch_psycopg()


def main() -> None:
    _patch_for_serve(sys.argv)
    from .cli import cli

    cli(prog_name="openspace")


if __name__ == "__main__":
    main()
