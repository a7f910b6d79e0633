"""The open-file limit: each socket is a file descriptor (used by `openspace serve` and bench/)."""

from __future__ import annotations

import resource


def raise_file_limit(wanted: int) -> int:
    """Lift the soft limit to `wanted`, as far as the hard limit allows; returns the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        soft = target
    return soft
