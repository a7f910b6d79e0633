"""Domain errors: one base class, each with the code and HTTP status of the public contract."""

from __future__ import annotations


class DomainError(Exception):
    code = "error"
    status = 400
    message = "The request could not be completed."

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 fields: dict[str, str] | None = None, **extra: object) -> None:
        self.code = code or self.code
        self.message = message or self.message
        self.fields = fields or {}
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
    message = "Some fields are not valid."


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    status = 401
    message = "Log in first."


class NotAllowed(DomainError):
    code = "forbidden"
    status = 403
    message = "You are not allowed to do that."


class BoardLocked(NotAllowed):
    code = "board_locked"
    message = "The board is locked: only organizers can change it now."


class NotFound(DomainError):
    code = "not_found"
    status = 404
    message = "Not found."


class Conflict(DomainError):
    code = "conflict"
    status = 409
    message = "That conflicts with the current state."


class SlotTaken(Conflict):
    code = "slot_taken"
    message = "That room is already taken in that time slot."


class ConvenerBusy(Conflict):
    code = "convener_busy"
    message = "The convener already holds a session in that time slot."


class TooLarge(DomainError):
    code = "too_large"
    status = 413
    message = "That upload is too large."


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
    message = "Too many requests; slow down a little."


class Unavailable(DomainError):
    code = "unavailable"
    status = 503
    message = "The database cannot be reached right now; try again in a moment."
