"""Domain errors: one base class, each with the code and HTTP status of the public contract.

Messages are for people, in the request's language (a default per class, lazy because it is
read at import time; the texts given where an error is raised are translated there with `_()`);
`message` is always a plain str once the error exists, so JSON bodies and socket acks carry
text, never a lazy string. Outside a request (the CLI) they are English. Codes stay English."""

from __future__ import annotations

from ..i18n import _l


class DomainError(Exception):
    code = "error"
    status = 400
    message = _l("The request could not be completed.")

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 fields: dict[str, str] | None = None, **extra: object) -> None:
        self.code = code or self.code
        self.message = str(message or self.message)
        self.fields = {name: text if isinstance(text, (str, dict, list)) else str(text)
                       for name, text in (fields or {}).items()}
        self.extra = extra
        super().__init__(self.message)

    def to_dict(self) -> dict:
        body: dict = {"code": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        body.update(self.extra)
        return body


class ValidationFailed(DomainError):
    code = "invalid"
    status = 400
    message = _l("Some fields are not valid.")


class Malformed(ValidationFailed):
    """A message or body no working client sends (not JSON, nested too deeply, not an object):
    `invalid` like any bad input, and it also spends from its sender's budget of refusals
    (ratelimit.malformed), so a flood of them is cut off before it costs the server much."""


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    status = 401
    message = _l("Log in first.")


class NotAllowed(DomainError):
    code = "forbidden"
    status = 403
    message = _l("You are not allowed to do that.")


class BoardLocked(NotAllowed):
    code = "board_locked"
    message = _l("The board is locked: only organizers can change it now.")


class NotFound(DomainError):
    code = "not_found"
    status = 404
    message = _l("Not found.")


class Conflict(DomainError):
    code = "conflict"
    status = 409
    message = _l("That conflicts with the current state.")


class SlotTaken(Conflict):
    code = "slot_taken"
    message = _l("That room is already taken in that time slot.")


class ConvenerBusy(Conflict):
    code = "convener_busy"
    message = _l("The convener already holds a session in that time slot.")


class OutOfSync(Conflict):
    """A note update that builds on changes the server never had. A working client rejoins the
    note and resends once; one that goes on sending them spends its malformed budget, like a
    malformed message (each still costs the server a look at the note)."""

    code = "out_of_sync"


class TooLarge(DomainError):
    code = "too_large"
    status = 413
    message = _l("That upload is too large.")


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
    message = _l("Too many requests; slow down a little.")


class Unavailable(DomainError):
    code = "unavailable"
    status = 503
    message = _l("The database cannot be reached right now; try again in a moment.")
