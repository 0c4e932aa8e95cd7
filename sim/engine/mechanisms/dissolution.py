"""Dissolution: the relationship ends when it is no longer worth it; prospects who never bought lose interest."""

from __future__ import annotations

import numpy as np

from sim.engine.mechanisms.month import Month, happens
from sim.stages import Cause


def dissolution_hazard(
    satisfaction,
    trust_level,
    calculative,
    dependence,
    unresolved_failure,
    transaction_u,
    p,
    base_factor=1.0,
    shock_factor=1.0,
):
    """Monthly hazard of ending the relationship (`p` is the Dissolution parameters).

    Satisfaction, trust and calculative lock-in lower it; dependence lowers
    the base hazard but amplifies the shock after an unresolved failure,
    since relationships held by dependence are less stable (RM notes).  The
    stage scales the base hazard (`base_factor`: lowest in commitment) and
    the shock (`shock_factor`: committed customers stay through single failures).
    """
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


def step(m: Month) -> None:
    """Customers who did not switch may end the relationship; prospects who did not try may drop out."""
    sc, rel = m.scenario, m.rel
    u = m.draws("dissolution")
    ended = happens(
        ~m.switched,
        u[rel],
        lambda *x: dissolution_hazard(*x[:6], sc.dissolution, *x[6:]),
        m.satisfaction,
        m.trust,
        m.calculative,
        m.dependence,
        m.unresolved,
        m.transaction_u,
        sc.stages.effect("hazard_factor")[m.stage],
        sc.stages.effect("failure_sensitivity")[m.stage],
    )
    lost = m.prospect & ~m.trial & (u < sc.stages.prospect_exit_rate)
    m.market.dissolve(rel[ended], Cause.DISSATISFACTION, m.t)
    m.market.dissolve(np.flatnonzero(lost), Cause.PROSPECT_LOST, m.t)
