"""Behaviour functions of the agent-based model: pure, vectorised, documented.

Each function maps customer arrays (or scalars) to probabilities or new
levels.  The monthly market process and the per-customer episodes call them;
they never draw random numbers themselves, so they can be tested alone.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit as logistic  # numerically stable 1 / (1 + exp(-x))

from optimize.response import migration_probability  # noqa: F401  (the engine's and the optimizer's one formula)

__all__ = [
    "logistic",
    "trust",
    "preferred_closeness",
    "posture_fit",
    "share_of_wallet_target",
    "failure_probability",
    "experience",
    "update_satisfaction",
    "calculative_target",
    "ladder_drive",
    "climb_probability",
    "drop_probability",
    "switch_probability",
    "dissolution_hazard",
    "fitd_acceptance",
    "all_at_once_acceptance",
    "basket",
]


def trust(credibility, reliability, intimacy, self_orientation):
    """Green's trust equation (C + R + I) / S, with C, R, I in [0, 1] and S >= 1, scaled to [0, 1]."""
    return (credibility + reliability + intimacy) / (3.0 * self_orientation)


def preferred_closeness(need_u, market_u):
    """Closeness a customer's uncertainties favour (seed 000).

    High need uncertainty favours few suppliers and close ties (towards 1);
    high market uncertainty favours many suppliers at arm's length (towards 0).
    """
    return np.clip(0.5 + 0.5 * (need_u - market_u), 0.0, 1.0)


def posture_fit(closeness, need_u, market_u):
    """Fit in [0, 1] between the firm's posture and the closeness the customer prefers."""
    return 1.0 - np.abs(closeness - preferred_closeness(need_u, market_u))


def share_of_wallet_target(rung_share, need_u, market_u, coverage, need_concentration, market_dispersion):
    """Share of wallet a customer moves towards.

    The rung sets the share of a customer holding the full range; need
    uncertainty concentrates purchases, market uncertainty spreads them, and
    the share cannot exceed what the products held cover.
    """
    tilt = 1.0 + need_concentration * (need_u - 0.5) * 2.0 - market_dispersion * (market_u - 0.5) * 2.0
    return np.clip(rung_share * tilt, 0.0, 1.0) * coverage


def failure_probability(base, transaction_u, tu_effect, transfer_ability, ta_effect, linkage, link_effect):
    """Chance a service encounter fails: more under transaction uncertainty, less with transfer ability and linkages."""
    p = base * (1.0 + tu_effect * transaction_u) * (1.0 - ta_effect * transfer_ability) * (1.0 - link_effect * linkage)
    return np.clip(p, 0.0, 1.0)


def experience(failed, resolved, transaction_u, fit, success_value, failure_severity, resolved_share, fit_weight):
    """Value in [-1, 1] of one purchase experience: the service outcome blended with posture fit."""
    damage = failure_severity * (1.0 + transaction_u) / 2.0 * (1.0 - resolved_share * resolved)
    outcome = np.where(failed, -damage, success_value)
    return (1.0 - fit_weight) * outcome + fit_weight * (2.0 * fit - 1.0)


def update_satisfaction(satisfaction, weight_sum, count, x, negativity_bias, primacy, floor_weight):
    """Fold one experience into satisfaction, a weighted mean of all experiences so far.

    Experience k (counting from 0) weighs ``floor + (1 - floor) * primacy**k``,
    times ``negativity_bias`` when it is negative: early experiences weigh more
    than later ones and negative ones more than positive ones (seed 002).
    Returns the new satisfaction and weight sum.
    """
    # Written with plain operators so that it is as fast on one customer's floats as on arrays.
    w = (floor_weight + (1.0 - floor_weight) * primacy**count) * (1.0 + (negativity_bias - 1.0) * (x < 0.0))
    new_sum = weight_sum + w
    return satisfaction + (w / new_sum) * (x - satisfaction), new_sum


def calculative_target(switching_cost, dependence, trust_level, trust_on_calculative):
    """Calculative commitment a customer moves to: switching costs and dependence, less where trust is high."""
    return np.clip(0.5 * (switching_cost + dependence) - trust_on_calculative * (trust_level - 0.5), 0.0, 1.0)


def ladder_drive(trust_level, satisfaction, affective, w_trust, w_satisfaction, w_affective):
    """What pushes a customer up the loyalty ladder."""
    return w_trust * trust_level + w_satisfaction * satisfaction + w_affective * affective


def climb_probability(drive, rung, thresholds, up_rate, steepness):
    """Monthly chance of climbing one rung: logistic in the gap between drive and the rung's threshold."""
    top = len(thresholds)
    theta = thresholds[np.minimum(rung, top - 1)]
    return np.where(rung < top, up_rate * logistic(steepness * (drive - theta)), 0.0)


def drop_probability(drive, rung, thresholds, down_rate, steepness):
    """Monthly chance of dropping one rung when the drive falls below what holds the current rung."""
    theta = thresholds[np.maximum(rung - 1, 0)]
    return np.where(rung > 0, down_rate * logistic(steepness * (theta - drive)), 0.0)


def switch_probability(price_sensitivity, switching_cost, affective, satisfaction, p):
    """Chance a customer takes a competitor's offer (logistic; `p` is the Competition parameters)."""
    z = (
        p.switch_intercept
        + p.price_sensitivity_effect * price_sensitivity
        - p.switching_cost_effect * switching_cost
        - p.commitment_effect * affective
        - p.satisfaction_effect * satisfaction
    )
    return logistic(z)


def dissolution_hazard(satisfaction, trust_level, calculative, dependence, unresolved_failure, transaction_u, p):
    """Monthly hazard of ending the relationship (`p` is the Dissolution parameters).

    Satisfaction, trust and calculative lock-in lower it; dependence lowers
    the base hazard but amplifies the shock after an unresolved failure,
    since relationships held by dependence are less stable (seed 002).
    """
    base = p.base_hazard * np.exp(
        -p.satisfaction_effect * satisfaction - p.trust_effect * (trust_level - 0.5) - p.calculative_effect * calculative
    )
    base = base * (1.0 - p.dependence_retention * dependence)
    shock = unresolved_failure * p.shock_hazard * transaction_u * (1.0 + p.instability * dependence)
    return np.clip(base + shock, 0.0, 1.0)


def fitd_acceptance(trust_level, fit, size_share, accepted_before, months_since, p):
    """Chance a customer accepts the next foot-in-the-door step (`p` is FootInTheDoor).

    Each accepted earlier step adds a consistency uplift that decays with the
    time since the last decision; asking again too soon backfires.
    """
    uplift = accepted_before * p.consistency_effect * np.exp(-months_since / p.consistency_persistence_months)
    pressure = (accepted_before > 0) * p.immediacy_penalty * np.exp(-months_since / p.immediacy_window_months)
    z = (
        p.base_acceptance
        + p.trust_effect * (trust_level - 0.5)
        + p.fit_effect * (fit - 0.5)
        - p.size_effect * size_share
        + uplift
        - pressure
    )
    return logistic(z)


def all_at_once_acceptance(trust_level, fit, size, need_u, problem_solving, p):
    """Chance a customer accepts the comprehensive offer (`p` is AllAtOnce).

    `size` is the wallet relative to the reference wallet.  Rises with customer
    size, need uncertainty and the firm's problem-solving ability: the
    approach suits large customers with complex problems.
    """
    z = (
        p.base_acceptance
        + p.trust_effect * (trust_level - 0.5)
        + p.fit_effect * (fit - 0.5)
        + p.size_effect * np.log(size)
        + p.need_effect * (need_u - 0.5)
        + p.problem_solving_effect * (problem_solving - 0.5)
    )
    return logistic(z)


def basket(z, cv):
    """Lognormal basket multiplier with mean 1 and coefficient of variation `cv`, from standard normals `z`."""
    s2 = np.log1p(cv * cv)
    return np.exp(np.sqrt(s2) * z - 0.5 * s2)
