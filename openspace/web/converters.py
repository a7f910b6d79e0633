"""URL converters: `<id:topic_id>` is how every route takes a database id from its path."""

from __future__ import annotations

from werkzeug.routing import BaseConverter, ValidationError

from ..domain import validation as v


def _up_to(bound: int) -> str:
    """A regex of the decimal numbers 1..bound, without leading zeros."""
    digits = str(bound)
    size = len(digits)
    options = [f"[1-9][0-9]{{0,{size - 2}}}"]  # the shorter numbers
    for at, digit in enumerate(digits):  # same length: the bound's prefix, then a lower digit
        low, high = (1 if at == 0 else 0), int(digit) - 1
        if high >= low:
            options.append(f"{digits[:at]}[{low}-{high}][0-9]{{{size - at - 1}}}")
    options.append(digits)
    return "(?:" + "|".join(options) + ")"


class IdConverter(BaseConverter):
    """An id in a path, by the one id rule (validation.id_from_text): 1 to 2**63-1 in ASCII
    digits, no leading zero. Anything else matches no route (404, never a database error; and
    not a 405 either, which a path that matches another method's route would get)."""

    regex = _up_to(v.ID_MAX)
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = v.id_from_text(value)
        if number is None:  # the regex lets only ids through; this is the rule itself
            raise ValidationError()
        return number

    def to_url(self, value: int) -> str:
        return str(int(value))
