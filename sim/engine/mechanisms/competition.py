"""Competitor offers (CR lecture notes): more frequent under market uncertainty, they pull customers away."""

from __future__ import annotations

from numba import njit
from numba.extending import register_jitable
from scipy.special import expit as logistic

from sim.engine.mechanisms.draws import U_OFFER, U_SWITCH, draw


@register_jitable
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


@njit(cache=True, inline="always")
def step(r, p, u, stage, reprice, switching, sat):  # noqa: ANN001, ANN201
    """A competitor may approach the customer; taking its offer ends the relationship.  Returns whether it did."""
    co = p.competition
    if not draw(u, U_OFFER, r) < co.offer_rate * (1.0 + co.market_uncertainty_effect * r.market_u):
        return False
    # The rung after this month's ladder move; a price rise adds to the pull, financial rewards hold back.
    # What unfair prices taught the customer (yield management) adds to its rung's sensitivity.
    pull = p.purchasing.price_sensitivity[r.rung] + r.price_shift + reprice * p.portfolio_policy.price_rise
    pull = pull - r.financial_bond
    chance = switch_probability(pull, switching, r.affective, sat, co, p.staged.switch_shift[stage])
    return draw(u, U_SWITCH, r) < chance
