"""Acquisition: a prospect tries a product (a trial purchase) and becomes a customer in exploration."""

from __future__ import annotations

from numba import njit

from sim.engine.mechanisms.draws import U_PURCHASE, draw
from sim.stages import EXPLORATION


@njit(cache=True, inline="always")
def step(r, p, u, entering, t):  # noqa: ANN001, ANN201
    """A prospect tries at the trial rate times its rung's purchase chance (a cohort entrant for certain)."""
    chance = p.stages.trial_rate * p.purchasing.purchase_probability[r.rung]
    if not (entering or draw(u, U_PURCHASE, r) < chance):
        return False
    r.stage = EXPLORATION
    r.acquired_month = t
    r.products = max(r.products, 1)
    r.acquisition += p.acquisition_cost[r.segment]
    return True
