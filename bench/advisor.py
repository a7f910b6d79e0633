"""Schedule advisor benchmark: the CP-SAT suggestion against a greedy baseline, in one run.

    .venv/bin/python bench/advisor.py [--seed 1] [--time-limit 4] [--workers 2] [--max-moves 10]
                                      [--board issue|small]

The board (issue 15): 200 topics, 8 rooms x 6 session slots, 500 attendees with 5 choices each.
48 cells hold 48 topics: as at a real marketplace, the first --placed topics (44) got a cell
(first come, first served: a random cell, never twice a convener's slot), 4 cells stay free and
the other 156 topics wait in the marketplace (the advisor moves placed topics only). Room
capacities run from 12 to 60; 150 conveners, some with two or three topics; the conveners are
among the 500 attendees. Each attendee picks 5 placed topics, the popular ones more often
(weights 1/rank^0.7), so some rooms overflow and many choices clash.

Measured (openspace.domain.advisor, the functions the app runs; no server, no database):
- the board as placed: attendees with a clash, people over capacity;
- greedy: the best single move or swap again and again, same rules, same move budget;
- the advisor: CP-SAT within --time-limit seconds (the app's ADVISOR_TIME_LIMIT), wall time
  including building the model, its status (optimal or feasible), topics moved.
Target: the advisor's answer within 5 s, no worse than greedy. Prints a table, writes
bench/results/advisor-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openspace.domain.advisor import Problem, greedy, score, solve  # noqa: E402

# rooms, slots, topics, attendees, choices, conveners, capacities, topics placed
BOARDS = {
    "issue": (8, 6, 200, 500, 5, 150, [30, 40, 50, 60, 70, 80, 100, 120], 44),
    "small": (4, 5, 18, 120, 4, 18, [15, 25, 40, 60], 18),
}


def build(seed: int, board: str = "issue", placed: int | None = None) -> Problem:
    rooms, slots, topics, attendees, choices, conveners_count, capacities, default = BOARDS[board]
    placed = default if placed is None else placed
    rng = random.Random(seed)
    cell_slot = [slot for slot in range(slots) for _room in range(rooms)]
    cell_capacity = [capacities[room] for _slot in range(slots) for room in range(rooms)]
    conveners = [rng.randrange(conveners_count) for _ in range(topics)]
    free = list(range(rooms * slots))
    rng.shuffle(free)
    topic_cell, topic_convener = [], []
    for topic in range(topics):
        if len(topic_cell) == placed:
            break
        busy = {cell_slot[c] for c, who in zip(topic_cell, topic_convener, strict=True)
                if who == conveners[topic]}
        cell = next((c for c in free if cell_slot[c] not in busy), None)
        if cell is None:
            continue
        free.remove(cell)
        topic_cell.append(cell)
        topic_convener.append(conveners[topic])
    count = len(topic_cell)
    order = list(range(count))
    rng.shuffle(order)
    weights = [0.0] * count
    for rank, topic in enumerate(order, start=1):
        weights[topic] = 1 / rank**0.7
    chosen: list[set[int]] = [set() for _ in range(attendees)]
    for picks in chosen:
        while len(picks) < choices:
            picks.add(rng.choices(range(count), weights)[0])
    interest = [sum(1 for picks in chosen if t in picks) for t in range(count)]
    # Conveners 0..149 are attendees 0..149: they also come to their own sessions.
    for topic, convener in enumerate(topic_convener):
        chosen[convener].add(topic)
    return Problem(cell_slot=cell_slot, cell_capacity=cell_capacity, topic_cell=topic_cell,
                   topic_convener=topic_convener, topic_interest=interest,
                   choices=[tuple(sorted(c)) for c in chosen])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--board", choices=sorted(BOARDS), default="issue",
                        help="issue: the board of issue 15; small: 18 sessions, 4 rooms x 5 "
                             "slots, 120 attendees with 4 choices")
    parser.add_argument("--placed", type=int, default=None)
    parser.add_argument("--time-limit", type=float, default=4.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-moves", type=int, default=10)
    args = parser.parse_args()

    problem = build(args.seed, args.board, args.placed)
    before = score(problem, problem.topic_cell)
    started = time.perf_counter()
    baseline = greedy(problem, max_moves=args.max_moves)
    greedy_seconds = time.perf_counter() - started
    greedy_score = score(problem, baseline)
    greedy_moved = sum(1 for a, b in zip(baseline, problem.topic_cell, strict=True) if a != b)
    started = time.perf_counter()
    solution = solve(problem, max_moves=args.max_moves, time_limit=args.time_limit,
                     workers=args.workers)
    wall = time.perf_counter() - started
    after = score(problem, solution.assignment)

    rows = [("as placed", before, 0, 0.0, ""),
            ("greedy", greedy_score, greedy_moved, greedy_seconds, ""),
            ("advisor (CP-SAT)", after, solution.moved, wall, solution.status)]
    rooms, slots, topics, attendees, choices, *_ = BOARDS[args.board]
    print(f"{len(problem.topic_cell)} placed of {topics} topics, {rooms} rooms x {slots} slots, "
          f"{attendees} attendees x {choices} choices; max {args.max_moves} topics moved")
    print(f"{'':18} {'clashes':>8} {'over cap':>9} {'rooms over':>10} {'moved':>6} "
          f"{'seconds':>8}  status")
    for name, s, moved, seconds, status in rows:
        print(f"{name:18} {s.clashes:8d} {s.over_capacity:9d} {s.rooms_over_capacity:10d} "
              f"{moved:6d} {seconds:8.2f}  {status}")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    (out / f"advisor-{stamp}.json").write_text(json.dumps({
        "args": vars(args),
        "placed": len(problem.topic_cell),
        "rows": [{"name": name, **s.as_dict(), "moved": moved, "seconds": round(seconds, 3),
                  "status": status} for name, s, moved, seconds, status in rows],
    }, indent=2))


if __name__ == "__main__":
    main()
