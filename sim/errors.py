"""Errors a user can fix, shared by every layer: each message names the option or value and what to give instead."""


class UsageError(ValueError):
    """An option or argument value that cannot work (an output folder in use, an unknown level, a bad range)."""


class CrmsimWarning(UserWarning):
    """Something a command recovered from and the user should know (a damaged checkpoint line it dropped)."""
