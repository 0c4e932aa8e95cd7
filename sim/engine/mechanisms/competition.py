"""Competitor offers (CR lecture notes): more frequent under market uncertainty, they pull customers away."""

from __future__ import annotations

import numpy as np
from scipy.special import expit as logistic

from sim.engine.mechanisms.month import Month, happens
from sim.stages import Cause


def switch_probability(price_sensitivity, switching_cost, affective, satisfaction, p, shift=0.0):
    """Chance a customer takes a competitor's offer (logistic; `p` is the Competition parameters).

    `shift` moves the logit by stage: open to alternatives in exploration, looking less at them in commitment.
    """
    z = (
        shift
        + p.switch_intercept
        + p.price_sensitivity_effect * price_sensitivity
        - p.switching_cost_effect * switching_cost
        - p.commitment_effect * affective
        - p.satisfaction_effect * satisfaction
    )
    return logistic(z)


def step(m: Month) -> None:
    """Competitors approach customers in a relationship; those who take the offer leave (cause: competitor)."""
    c, sc, rel = m.customers, m.scenario, m.rel
    co = sc.competition
    approached = m.u("competitor.offer") < co.offer_rate * (1.0 + co.market_uncertainty_effect * m.market_u)
    # The rung after this month's ladder move; a price rise adds to the pull of a cheaper competitor.
    # Rewards bought with financial investments hold a customer back.
    pull = np.asarray(sc.purchasing.price_sensitivity)[c.rung[rel]] + m.reprice * sc.portfolio_policy.price_rise
    pull = pull - c.financial_bond[rel]
    m.switched = happens(
        approached,
        m.u("competitor.switch"),
        lambda *x: switch_probability(*x[:4], co, x[4]),
        pull,
        m.switching,
        m.affective,
        m.satisfaction,
        sc.stages.effect("switch_shift", 0.0)[m.stage],
    )
    m.market.dissolve(rel[m.switched], Cause.COMPETITOR, m.t)
