"""Satisfaction: a weighted mean of experiences, where bad weighs more than good and early more than late (RM notes)."""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.extending import register_jitable

from sim.engine.mechanisms.numeric import choose


@register_jitable
def preferred_closeness(need_u, market_u):
    """Closeness a customer's uncertainties favour (CR lecture notes).

    High need uncertainty favours few suppliers and close ties (towards 1);
    high market uncertainty favours many suppliers at arm's length (towards 0).
    """
    return np.clip(0.5 + 0.5 * (need_u - market_u), 0.0, 1.0)


@register_jitable
def posture_fit(closeness, need_u, market_u):
    """Fit in [0, 1] between the firm's posture and the closeness the customer prefers."""
    return 1.0 - np.abs(closeness - preferred_closeness(need_u, market_u))


@register_jitable
def experience(failed, resolved, transaction_u, fit, success_value, failure_severity, resolved_share, fit_weight):
    """Value in [-1, 1] of one purchase experience: the service outcome blended with posture fit."""
    damage = failure_severity * (1.0 + transaction_u) / 2.0 * (1.0 - resolved_share * resolved)
    outcome = choose(failed, -damage, success_value)
    return (1.0 - fit_weight) * outcome + fit_weight * (2.0 * fit - 1.0)


@register_jitable
def update_satisfaction(satisfaction, weight_sum, count, x, negativity_bias, primacy, floor_weight):
    """Fold one experience into satisfaction, a weighted mean of all experiences so far.

    Experience k (counting from 0) weighs ``floor + (1 - floor) * primacy**k``,
    times ``negativity_bias`` when it is negative: early experiences weigh more
    than later ones and negative ones more than positive ones (RM notes).
    Returns the new satisfaction and weight sum.
    """
    # Written with plain operators so that it is as fast on one customer's floats as on arrays.
    w = (floor_weight + (1.0 - floor_weight) * primacy**count) * (1.0 + (negativity_bias - 1.0) * (x < 0.0))
    new_sum = weight_sum + w
    return satisfaction + (w / new_sum) * (x - satisfaction), new_sum


@njit(cache=True, inline="always")
def fold(r, p, x):  # noqa: ANN001, ANN201
    """Fold experience `x` into customer record r's satisfaction (a purchase's, or a growth offer's)."""
    sp = p.satisfaction
    count = np.float64(r.experiences)
    r.satisfaction, r.experience_weight = update_satisfaction(
        r.satisfaction, r.experience_weight, count, x, sp.negativity_bias, sp.primacy, sp.floor_weight
    )
    r.experiences += 1


@njit(cache=True, inline="always")
def step(r, p, stage, failed, resolved):  # noqa: ANN001, ANN201
    """A purchase is an experience: its service outcome blended with posture fit, folded into satisfaction."""
    sp = p.satisfaction
    fit = posture_fit(p.closeness, r.need_u, r.market_u)
    severity = sp.failure_severity * p.staged.failure_sensitivity[stage]
    x = experience(failed, resolved, r.transaction_u, fit, sp.success_value, severity, sp.resolved_share, sp.fit_weight)
    fold(r, p, x)
