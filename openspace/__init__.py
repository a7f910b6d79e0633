"""openspace: run Open Space Technology unconferences.

This module imports nothing heavy on purpose: `openspace serve` must monkey-patch the standard
library for eventlet/gevent (openspace/entry.py) before Flask, SQLAlchemy or Socket.IO are
imported, and importing any submodule runs this file first. The app factory lives in app.py.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(name)
