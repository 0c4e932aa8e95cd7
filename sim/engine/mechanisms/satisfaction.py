"""Satisfaction: a weighted mean of experiences, where bad weighs more than good and early more than late (RM notes)."""

from __future__ import annotations

import numpy as np

from sim.engine.mechanisms.month import Month


def preferred_closeness(need_u, market_u):
    """Closeness a customer's uncertainties favour (CR lecture notes).

    High need uncertainty favours few suppliers and close ties (towards 1);
    high market uncertainty favours many suppliers at arm's length (towards 0).
    """
    return np.clip(0.5 + 0.5 * (need_u - market_u), 0.0, 1.0)


def posture_fit(closeness, need_u, market_u):
    """Fit in [0, 1] between the firm's posture and the closeness the customer prefers."""
    return 1.0 - np.abs(closeness - preferred_closeness(need_u, market_u))


def experience(failed, resolved, transaction_u, fit, success_value, failure_severity, resolved_share, fit_weight):
    """Value in [-1, 1] of one purchase experience: the service outcome blended with posture fit."""
    damage = failure_severity * (1.0 + transaction_u) / 2.0 * (1.0 - resolved_share * resolved)
    outcome = np.where(failed, -damage, success_value)
    return (1.0 - fit_weight) * outcome + fit_weight * (2.0 * fit - 1.0)


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


def fold(customers, scenario, j, x) -> None:
    """Fold experiences `x` into the satisfaction of customers `j` (used by purchases and growth offers alike)."""
    c, s = customers, scenario.satisfaction
    c.satisfaction[j], c.experience_weight[j] = update_satisfaction(
        c.satisfaction[j], c.experience_weight[j], c.experiences[j], x, s.negativity_bias, s.primacy, s.floor_weight
    )
    c.experiences[j] += 1


def step(m: Month) -> None:
    """Every purchase is an experience: its service outcome blended with how well the posture fits the customer."""
    b = np.flatnonzero(m.buy)
    if not len(b):
        return
    sc, sp = m.scenario, m.scenario.satisfaction
    closeness = np.clip(sc.posture.closeness + sc.offering.closeness_shift, 0.0, 1.0)
    fit = posture_fit(closeness, m.need_u[b], m.market_u[b])
    severity = (
        sp.failure_severity * sc.stages.effect("failure_sensitivity")[m.stage[b]]
    )  # exploration: every failure counts
    x = experience(
        m.failed[b],
        m.resolved[b],
        m.transaction_u[b],
        fit,
        sp.success_value,
        severity,
        sp.resolved_share,
        sp.fit_weight,
    )
    fold(m.customers, sc, m.rel[b], x)
