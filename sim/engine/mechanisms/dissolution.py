"""Dissolution: the relationship ends when it is no longer worth it; prospects who never bought lose interest."""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.extending import register_jitable

from sim.engine.mechanisms.draws import U_DISSOLUTION, draw
from sim.stages import DISSOLUTION


@register_jitable
def dissolution_hazard(
    satisfaction,
    trust_level,
    calculative,
    dependence,
    unresolved_failure,
    transaction_u,
    p,
    stage_factors=(1.0, 1.0),
):
    """Monthly hazard of ending the relationship (`p` is the Dissolution parameters).

    Satisfaction, trust and calculative lock-in lower it; dependence lowers
    the base hazard but amplifies the shock after an unresolved failure,
    since relationships held by dependence are less stable (RM notes).  The
    stage scales the base hazard and the shock: `stage_factors` is (base
    factor, lowest in commitment; shock factor, committed customers stay
    through single failures).
    """
    base_factor, shock_factor = stage_factors
    base = (
        base_factor
        * p.base_hazard
        * np.exp(
            -p.satisfaction_effect * satisfaction
            - p.trust_effect * (trust_level - 0.5)
            - p.calculative_effect * calculative
        )
    )
    base = base * (1.0 - p.dependence_retention * dependence)
    shock = shock_factor * unresolved_failure * p.shock_hazard * transaction_u * (1.0 + p.instability * dependence)
    return np.clip(base + shock, 0.0, 1.0)


@njit(cache=True, inline="always")
def dissolve(r, cause, t):  # noqa: ANN001, ANN201
    """End the customer's relationship in month t, for `cause` (sim.stages.Cause)."""
    r.stage = DISSOLUTION
    r.dissolved_month = t
    r.cause = cause


@njit(cache=True, inline="always")
def step(r, p, u, stage, sat, trust, dependence, unresolved):  # noqa: ANN001, ANN201
    """Whether a relationship that was not switched away ends this month."""
    hazard = dissolution_hazard(
        sat,
        trust,
        r.calculative,
        dependence,
        (1.0 if unresolved else 0.0),
        r.transaction_u,
        p.dissolution,
        (p.staged.hazard_factor[stage], p.staged.failure_sensitivity[stage]),
    )
    return draw(u, U_DISSOLUTION, r) < hazard * r.staying  # its lifelong multiplier (1 without heterogeneity)
