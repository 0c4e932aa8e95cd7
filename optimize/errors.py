"""Named optimisation errors: each says what went wrong and what to change."""

from __future__ import annotations


class OptimizationError(RuntimeError):
    """An optimisation could not produce a trustworthy answer."""


class InfeasibleError(OptimizationError):
    """No plan satisfies the constraints; the message names the constraint to relax."""


class UnboundedError(OptimizationError):
    """The objective can grow without limit; the message names the bound to add."""


class SolverError(OptimizationError):
    """Every solver tried failed or returned an inaccurate answer."""


class InputError(ValueError):
    """An input the optimizer cannot use (a wrong shape, a value out of range); the message names it and the fix."""


class EstimationError(InputError):
    """The input table cannot give means and covariances (too few rows, missing columns, non-finite values)."""


class CovarianceWarning(UserWarning):
    """A covariance matrix was repaired (not positive semidefinite) or is ill-conditioned."""
