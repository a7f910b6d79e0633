"""Summarize a py-spy raw (collapsed) profile: where the server's CPU time goes.

    python bench/profile_top.py bench/results/profiles/openspace-fanout-1000-r1.txt [--top 20]

Prints the functions with the most self time and the most inclusive time, and self time per
package, as a share of all (non-idle) samples.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^:()]*)(?::(?P<line>\d+))?\)$")


def short(frame: str) -> str:
    """`func (path/to/pkg/mod.py:12)` -> `func (pkg/mod.py)` without the line number."""
    match = _FRAME.match(frame)
    if not match:
        return frame
    path = match["file"]
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match['func']} ({path})"  # py-spy already shortens most paths


def package(frame: str) -> str:
    """The top-level package of the frame's file (py-spy names files relative to sys.path)."""
    match = _FRAME.match(frame)
    path = short(frame).rsplit("(", 1)[-1].rstrip(")") if match else frame
    head = path.split("/", 1)[0] if "/" in path else path.removesuffix(".py")
    return head or "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()

    own, inclusive, packages = Counter(), Counter(), Counter()
    total = 0
    with open(args.profile) as fh:
        for line in fh:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not stack or not count.isdigit():
                continue
            samples = int(count)
            frames = [f for f in stack.split(";") if not f.startswith("process ")
                      and not f.startswith("thread ")]
            if not frames:
                continue
            total += samples
            own[short(frames[-1])] += samples
            packages[package(frames[-1])] += samples
            for name in {short(f) for f in frames}:
                inclusive[name] += samples
    if not total:
        raise SystemExit("no samples")
    print(f"{total} samples\n\nself time by package:")
    for name, samples in packages.most_common(args.top):
        print(f"  {samples / total:6.1%}  {name}")
    print("\nself time by function:")
    for name, samples in own.most_common(args.top):
        print(f"  {samples / total:6.1%}  {name}")
    print("\ninclusive time by function:")
    for name, samples in inclusive.most_common(args.top):
        print(f"  {samples / total:6.1%}  {name}")


if __name__ == "__main__":
    main()
