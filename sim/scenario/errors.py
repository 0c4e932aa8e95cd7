"""The one error a scenario raises: it names the field, the value and what is allowed."""

from __future__ import annotations

from sim.errors import UsageError


class ScenarioError(UsageError):
    """A scenario file or value is invalid; the message says which field and how to fix it."""
