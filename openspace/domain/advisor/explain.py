"""What the advisor could not improve, and why: the {code, message} items of a suggestion."""

from __future__ import annotations

from collections.abc import Sequence

from ...i18n import _, ngettext
from ...i18n.formats import format_number
from .model import Problem, Score, Solution, score

LISTED_MAX = 5  # topics named one by one in an explanation, then "and N more"


def _named(titles: list[str]) -> str:
    shown = ", ".join(f"\u201c{title}\u201d" for title in titles[:LISTED_MAX])
    if len(titles) > LISTED_MAX:
        return _("%(titles)s and %(num)d more", titles=shown, num=len(titles) - LISTED_MAX)
    return shown


def explain(problem: Problem, solution: Solution, after: Score, *, titles: Sequence[str],
            max_moves: int, unplaced: int) -> list[dict]:
    """Why the suggestion is not better: {code, message} items, most telling first."""
    items: list[dict] = []

    def say(code: str, message: str) -> None:
        items.append({"code": code, "message": message})

    if unplaced:
        say("unplaced", ngettext(
            "%(num)d topic is not on the board: the advisor moves only placed topics.",
            "%(num)d topics are not on the board: the advisor moves only placed topics.",
            unplaced))
    if not problem.topic_cell:
        say("empty_board", _("No topic is on the board yet: there is nothing to rearrange."))
        return items
    before = score(problem, problem.topic_cell)
    if before.clashes == 0 and before.over_capacity == 0:
        say("nothing_to_improve",
            _("Nothing to improve: no attendee has a clash and no room is over capacity."))
        return items
    slot_count = len(set(problem.cell_slot))
    too_many = sum(1 for chosen in problem.choices if len(chosen) > slot_count)
    if after.clashes and too_many:
        say("too_many_choices", ngettext(
            "%(num)d attendee chose more sessions than there are time slots: a clash is "
            "unavoidable.",
            "%(num)d attendees chose more sessions than there are time slots: a clash is "
            "unavoidable.", too_many))
    pinned_clash = 0
    for chosen in problem.choices:
        slots = [problem.cell_slot[problem.topic_cell[t]] for t in chosen if t in problem.pinned]
        if len(set(slots)) < len(slots):
            pinned_clash += 1
    if after.clashes and pinned_clash:
        say("pinned_clash", ngettext(
            "%(num)d attendee chose pinned topics that run at the same time.",
            "%(num)d attendees chose pinned topics that run at the same time.", pinned_clash))
    capacities = problem.cell_capacity
    largest = None if any(c is None for c in capacities) else max(capacities)
    if after.over_capacity:
        too_big = [titles[t] for t, interest in enumerate(problem.topic_interest)
                   if largest is not None and interest > largest]
        if too_big:
            say("room_too_small", ngettext(
                "More people want to come to %(titles)s than the largest room holds "
                "(%(capacity)d).",
                "More people want to come to %(titles)s than the largest room holds "
                "(%(capacity)d).", len(too_big), titles=_named(too_big), capacity=largest))
        crowded_pins = [titles[t] for t in sorted(problem.pinned)
                        if capacities[problem.topic_cell[t]] is not None
                        and problem.topic_interest[t] > capacities[problem.topic_cell[t]]]
        if crowded_pins:
            say("pinned_over_capacity", ngettext(
                "%(titles)s is pinned in a room too small for its interest.",
                "%(titles)s are pinned in rooms too small for their interest.",
                len(crowded_pins), titles=_named(crowded_pins)))
    remaining = after.clashes or after.over_capacity
    if remaining and solution.moved >= max_moves:
        say("move_limit", ngettext(
            "The suggestion moves the %(num)d topic allowed; allow more moves to find more.",
            "The suggestion moves the %(num)d topics allowed; allow more moves to find more.",
            max_moves))
    elif solution.status == "feasible":
        say("time_limit", _(
            "The solver stopped after %(seconds)s seconds: this is the best it found, "
            "not proven the best.", seconds=format_number(round(solution.seconds, 1))))
    elif solution.status == "unsolved":
        say("unsolved", _("The solver found no answer in time: try again, or pin fewer "
                          "topics out of the way."))
    elif remaining:
        say("optimal", _(
            "No other arrangement does better: with these rooms, time slots, conveners' times "
            "and pins, what remains cannot be removed by moving topics."))
    return items
