"""Routes of the auth blueprint."""

from . import bp  # noqa: F401

