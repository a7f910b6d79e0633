"""The advisor's model: a board as plain numbers (Problem), what it scores, the CP-SAT search and
the greedy baseline it starts from, and a solution as independent moves and swaps. Pure
computation: no database, no request (bench/advisor.py runs it alone)."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

MAX_MOVES_DEFAULT = 10
TIME_LIMIT_DEFAULT = 4.0  # seconds; ADVISOR_TIME_LIMIT overrides
WORKERS_DEFAULT = 2  # CP-SAT search workers; ADVISOR_WORKERS overrides


# The problem, in plain numbers (bench/advisor.py builds one without a database) --------------

@dataclass
class Problem:
    """A board reduced to indices. Cells are (room, session slot) pairs; topics the placed ones."""

    cell_slot: list[int]  # cell -> index of its time slot
    cell_capacity: list[int | None]  # cell -> its room's capacity (None: no limit)
    topic_cell: list[int]  # topic -> the cell it holds now
    topic_convener: list[int]  # topic -> its convener (any id)
    topic_interest: list[int]  # topic -> how many said they'll come
    choices: list[tuple[int, ...]]  # per attendee: the topics they chose (2 or more matter)
    pinned: set[int] = field(default_factory=set)  # topics that keep their cell

    def holders(self) -> dict[int, int]:
        return {cell: topic for topic, cell in enumerate(self.topic_cell)}


@dataclass
class Score:
    clashes: int  # attendees with two chosen sessions at the same time
    over_capacity: int  # people beyond the seats, summed over topics
    rooms_over_capacity: int  # topics whose room is too small

    def as_dict(self) -> dict:
        return {"clashes": self.clashes, "over_capacity": self.over_capacity,
                "rooms_over_capacity": self.rooms_over_capacity}


def score(problem: Problem, assignment: Sequence[int]) -> Score:
    """Clashes and over-capacity of an assignment (topic -> cell)."""
    clashes = 0
    for chosen in problem.choices:
        slots = [problem.cell_slot[assignment[t]] for t in chosen]
        if len(set(slots)) < len(slots):
            clashes += 1
    over = rooms = 0
    for topic, cell in enumerate(assignment):
        capacity = problem.cell_capacity[cell]
        if capacity is not None and problem.topic_interest[topic] > capacity:
            over += problem.topic_interest[topic] - capacity
            rooms += 1
    return Score(clashes, over, rooms)


@dataclass
class Solution:
    assignment: list[int]
    status: str  # "optimal" (proven best within the limits), "feasible" (time ran out), "unsolved"
    seconds: float
    moved: int


def _domains(problem: Problem) -> list[list[int]]:
    """The cells each topic may take: its own; pinned topics nothing else. Others: a cell at a
    time its convener convenes nothing else now (the holder of the cell aside: a swap), and not
    a pinned topic's."""
    holders = problem.holders()
    slots_of: dict[int, dict[int, int]] = defaultdict(dict)  # convener -> topic -> slot
    for topic, convener in enumerate(problem.topic_convener):
        slots_of[convener][topic] = problem.cell_slot[problem.topic_cell[topic]]
    domains = []
    for topic, here in enumerate(problem.topic_cell):
        if topic in problem.pinned:
            domains.append([here])
            continue
        own = slots_of[problem.topic_convener[topic]]
        cells = []
        for cell, slot in enumerate(problem.cell_slot):
            holder = holders.get(cell)
            if cell != here and holder in problem.pinned:
                continue
            if any(s == slot for other, s in own.items() if other not in (topic, holder)):
                continue
            cells.append(cell)
        domains.append(cells)
    return domains


def solve(problem: Problem, *, max_moves: int = MAX_MOVES_DEFAULT,
          time_limit: float = TIME_LIMIT_DEFAULT, workers: int = WORKERS_DEFAULT) -> Solution:
    """The best assignment CP-SAT finds within `time_limit` seconds (pure computation: no
    database, no request; releases the GIL while it searches)."""
    started = time.perf_counter()
    here = problem.topic_cell
    if not here:
        return Solution([], "optimal", 0.0, 0)
    # Imported here, not with the module: CP-SAT's Python layer brings pandas and numpy
    # (~0.4 s), which every process (each `openspace` command, each server start) paid at
    # import for the one page that asks the solver.
    from ortools.sat.python import cp_model

    model = cp_model.CpModel()
    domains = _domains(problem)
    x = [{cell: model.new_bool_var(f"x{t}_{cell}") for cell in cells}
         for t, cells in enumerate(domains)]
    # The search starts from the greedy answer (a complete, feasible hint), so the solver's
    # answer is never worse than greedy's and its time goes into doing better.
    start = greedy(problem, max_moves=max_moves, deadline=started + time_limit / 2)
    for t, cells in enumerate(x):
        model.add_exactly_one(cells.values())
        for cell, var in cells.items():
            model.add_hint(var, cell == start[t])
    by_cell: dict[int, list] = defaultdict(list)
    for cells in x:
        for cell, var in cells.items():
            by_cell[cell].append(var)
    for variables in by_cell.values():
        model.add_at_most_one(variables)
    # Into an occupied cell only as a swap: its holder takes the mover's cell.
    holders = problem.holders()
    for t, cells in enumerate(x):
        for cell, var in cells.items():
            holder = holders.get(cell)
            if holder is None or holder == t:
                continue
            partner = x[holder].get(here[t])
            if partner is None:
                model.add(var == 0)
            else:
                model.add_implication(var, partner)
    # A convener holds at most one session per time slot.
    in_slot: dict[tuple[int, int], list] = defaultdict(list)
    for t, cells in enumerate(x):
        for cell, var in cells.items():
            in_slot[t, problem.cell_slot[cell]].append(var)
    by_convener: dict[tuple[int, int], list] = defaultdict(list)
    for (t, slot), variables in in_slot.items():
        by_convener[problem.topic_convener[t], slot].extend(variables)
    for variables in by_convener.values():
        if len(variables) > 1:
            model.add(sum(variables) <= 1)
    # Topic t runs in slot s: one boolean each, so attendees' constraints stay short.
    runs = {}
    for (t, slot), variables in in_slot.items():
        runs[t, slot] = var = model.new_bool_var(f"z{t}_{slot}")
        model.add(var == sum(variables))
        model.add_hint(var, problem.cell_slot[start[t]] == slot)
    # Attendees: one boolean per distinct set of choices, true when some slot holds two.
    slots = sorted(set(problem.cell_slot))
    penalties = []
    for chosen, count in Counter(tuple(sorted(c)) for c in problem.choices if len(c) > 1).items():
        clash = model.new_bool_var("clash")
        for slot in slots:
            present = [runs[t, slot] for t in chosen if (t, slot) in runs]
            if len(present) > 1:
                model.add(sum(present) <= 1 + (len(present) - 1) * clash)
        started_slots = [problem.cell_slot[start[t]] for t in chosen]
        model.add_hint(clash, len(set(started_slots)) < len(started_slots))
        penalties.append(count * clash)
    # Rooms: people beyond the seats.
    holder_at_start = {cell: t for t, cell in enumerate(start)}
    for cell in by_cell:
        capacity = problem.cell_capacity[cell]
        if capacity is None:
            continue
        crowd = [(problem.topic_interest[t] - capacity, x[t][cell]) for t in range(len(x))
                 if cell in x[t] and problem.topic_interest[t] > capacity]
        if crowd:
            over = model.new_int_var(0, max(excess for excess, _ in crowd), f"over{cell}")
            model.add(over >= sum(excess * var for excess, var in crowd))
            occupant = holder_at_start.get(cell)
            model.add_hint(over, max(0, problem.topic_interest[occupant] - capacity)
                           if occupant is not None else 0)
            penalties.append(over)
    moved = [1 - x[t][here[t]] for t in range(len(x)) if len(x[t]) > 1]
    model.add(sum(moved) <= max_moves)
    # Any gain outweighs every move: moves only break ties between equally good boards.
    model.minimize((max_moves + 1) * sum(penalties) + sum(moved))

    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.1, time_limit - (time.perf_counter() - started))
    solver.parameters.num_workers = max(1, workers)
    solver.parameters.random_seed = 1
    status = solver.solve(model)

    def moves_of(assignment: list[int]) -> int:
        return sum(1 for t, cell in enumerate(assignment) if cell != here[t])

    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # No answer of its own in time (a busy box, a big board): the greedy start stands.
        if start == list(here):
            return Solution(list(here), "unsolved", time.perf_counter() - started, 0)
        return Solution(start, "feasible", time.perf_counter() - started, moves_of(start))
    assignment = [next(cell for cell, var in cells.items() if solver.value(var))
                  for cells in x]

    def cost(a: list[int]) -> tuple[int, int]:
        s = score(problem, a)
        return s.clashes + s.over_capacity, moves_of(a)

    if status != cp_model.OPTIMAL and cost(start) < cost(assignment):
        # A search cut short may end before it even took up its hint: keep the better answer.
        assignment = start
    return Solution(assignment, "optimal" if status == cp_model.OPTIMAL else "feasible",
                    time.perf_counter() - started, moves_of(assignment))


@dataclass
class Change:
    """One suggested board change: a topic into a free cell, or two topics trading cells."""

    topic: int
    target: int  # the cell it goes to
    partner: int | None = None  # swap: the topic that comes to this topic's cell
    gains: Score | None = None


def changes(problem: Problem, assignment: Sequence[int]) -> list[Change]:
    """The solution as independent moves and swaps, each with what it gains applied alone,
    biggest gain first."""
    holders = problem.holders()
    before = score(problem, problem.topic_cell)
    found: list[Change] = []
    for topic, cell in enumerate(assignment):
        here = problem.topic_cell[topic]
        if cell == here:
            continue
        partner = holders.get(cell)
        if partner is not None and partner < topic:
            continue  # the swap is listed once, with the lower index first
        found.append(Change(topic, cell, partner))
    for change in found:
        alone = list(problem.topic_cell)
        alone[change.topic] = change.target
        if change.partner is not None:
            alone[change.partner] = problem.topic_cell[change.topic]
        after = score(problem, alone)
        change.gains = Score(before.clashes - after.clashes,
                             before.over_capacity - after.over_capacity,
                             before.rooms_over_capacity - after.rooms_over_capacity)
    found.sort(key=lambda c: (-(c.gains.clashes + c.gains.over_capacity), c.topic))
    return found


def greedy(problem: Problem, *, max_moves: int = MAX_MOVES_DEFAULT,
           deadline: float | None = None) -> list[int]:
    """The baseline bench/advisor.py compares with, and the solver's starting point: take the
    single move or swap (same rules as the solver's) that gains most, again and again, until
    none gains, `max_moves` topics moved or time.perf_counter() passed `deadline` (after the
    first step)."""
    domains = _domains(problem)
    current = list(problem.topic_cell)
    slot, capacity, interest = problem.cell_slot, problem.cell_capacity, problem.topic_interest
    groups = Counter(tuple(sorted(c)) for c in problem.choices if len(c) > 1)
    chosen = list(groups)
    groups_of: dict[int, list[int]] = defaultdict(list)
    for g, topics in enumerate(chosen):
        for t in topics:
            groups_of[t].append(g)
    own: dict[int, list[int]] = defaultdict(list)
    for t, convener in enumerate(problem.topic_convener):
        own[convener].append(t)

    def over(t: int, cell: int) -> int:
        return max(0, interest[t] - capacity[cell]) if capacity[cell] is not None else 0

    def clashing(g: int, slots_now: dict[int, int]) -> bool:
        slots = [slots_now.get(t, slot[current[t]]) for t in chosen[g]]
        return len(set(slots)) < len(slots)

    shared: dict[tuple[int, int], list[int]] = defaultdict(list)  # groups with both topics
    for g, topics in enumerate(chosen):
        for a in topics:
            for b in topics:
                if a != b:
                    shared[a, b].append(g)
    slot_count = max(slot, default=-1) + 1
    taken = problem.holders()  # a cell someone left stays free: moves stay independent
    moved: set[int] = set()
    while True:  # at least one step, whatever the deadline
        holders = {cell: t for t, cell in enumerate(current)}
        base = [clashing(g, {}) for g in range(len(chosen))]
        # What moving one topic to a time slot gains in clashes, with everyone else staying.
        alone = [[sum(groups[chosen[g]] * (base[g] - clashing(g, {t: s})) for g in groups_of[t])
                  for s in range(slot_count)] for t in range(len(current))]

        def clash_gain(moves: dict[int, int], alone=alone, base=base) -> int:
            gain = sum(alone[t][slot[cell]] for t, cell in moves.items())
            if len(moves) == 2:  # a swap: count the groups with both topics once, exactly
                (a, cell_a), (b, cell_b) = moves.items()
                for g in shared.get((a, b), ()):
                    both = clashing(g, {a: slot[cell_a], b: slot[cell_b]})
                    # counted twice as (base - a alone) + (base - b alone); is (base - both)
                    gain += groups[chosen[g]] * (clashing(g, {a: slot[cell_a]}) + clashing(
                        g, {b: slot[cell_b]}) - both - base[g])
            return gain

        best, best_gain = None, 0
        for topic, cells in enumerate(domains):
            if topic in moved:
                continue
            here = current[topic]
            for cell in cells:
                partner = holders.get(cell)
                if cell == here or partner in moved or (partner is None and cell in taken):
                    continue
                if partner is not None and here not in domains[partner]:
                    continue
                moves = {topic: cell} if partner is None else {topic: cell, partner: here}
                if len(moved) + len(moves) > max_moves:
                    continue
                if any(other not in moves and slot[current[other]] == slot[target]
                       for t, target in moves.items()
                       for other in own[problem.topic_convener[t]]):
                    continue
                gain = sum(over(t, current[t]) - over(t, target) for t, target in moves.items())
                if slot[cell] != slot[here]:
                    gain += clash_gain(moves)
                if gain > best_gain:
                    best, best_gain = moves, gain
        if best is None:
            return current
        for t, target in best.items():
            current[t] = target
        moved.update(best)
        if deadline is not None and time.perf_counter() >= deadline:
            return current
