"""Routes of the events blueprint."""

from . import bp  # noqa: F401

