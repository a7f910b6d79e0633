"""Routes of the topics blueprint."""

from . import bp  # noqa: F401

