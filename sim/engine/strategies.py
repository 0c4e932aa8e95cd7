"""The strategies a firm can play, by name: the registry behind the `[strategy]` and `[portfolio_policy]` tables.

- Account growth (seed 000): ``foot_in_the_door`` and ``all_at_once``, episodes
  in :mod:`sim.engine.episodes`; ``none`` makes no growth offers.
- Relationship posture (seeds 000, 001): ``transactional`` and
  ``collaborative``, parameter sets in ``[postures.*]``.
- Offering: ``standard``, or flaring out by ``unbundled`` or ``augmented``
  offerings, parameter sets in ``[offerings.*]``.
- Portfolio policy: classify customers by a scheme of the seeds and act per
  class; the classification functions are below, pure and vectorised.
- Migration investments: spend per rung (and segment) in ``[migration]``.
"""

from __future__ import annotations

import numpy as np

from sim.engine import episodes

ACCOUNT_GROWTH = episodes.GROWTH  # name -> episode process (one per monthly cohort)
POSTURES = ("transactional", "collaborative")
OFFERINGS = ("standard", "unbundled", "augmented")

# Actions a portfolio policy can take; codes are stored per customer.
ACTIONS = ("maintain", "invest", "streamline", "reprice", "fire")
MAINTAIN, INVEST, STREAMLINE, REPRICE, FIRE = range(len(ACTIONS))


def _high(x: np.ndarray, multiple: float = 1.0) -> np.ndarray:
    """Above `multiple` times the median of `x` (an empty array has nothing high)."""
    return x > multiple * np.median(x) if len(x) else np.zeros(0, dtype=bool)


def loyalty_effort(margin, cost, rung, share_of_wallet, loyal_rung, high_effort) -> np.ndarray:
    """Seed 000: loyalty on the ladder against customer-management effort (cost to serve).

    switchers (low, low), most_valuable (loyal, low effort), undesirable
    (not loyal, high effort), partners (loyal, high effort).
    """
    loyal = rung >= loyal_rung - 1
    effort = _high(cost, high_effort)
    return np.select([~loyal & ~effort, loyal & ~effort, ~loyal & effort], ["switchers", "most_valuable", "undesirable"], "partners")


def profitability_loyalty(margin, cost, rung, share_of_wallet, loyal_rung, high_effort) -> np.ndarray:
    """Seed 003: profitability against projected loyalty.

    strangers (neither), butterflies (profitable, not loyal), true_friends
    (both), barnacles (loyal, not profitable).
    """
    loyal = rung >= loyal_rung - 1
    profitable = (margin > 0) & (margin >= np.median(margin) if len(margin) else margin > 0)
    return np.select([~profitable & ~loyal, profitable & ~loyal, profitable & loyal], ["strangers", "butterflies", "true_friends"], "barnacles")


def value(margin, cost, rung, share_of_wallet, loyal_rung, high_effort) -> np.ndarray:
    """Seed 002: customer value categories.

    below_zero (losing money), most_valuable (margin at or above the median),
    most_growable (below the median with room in the wallet), low_maintenance
    (the rest: small, positive, already concentrated).
    """
    below = margin < 0
    top = margin >= np.median(margin[~below]) if (~below).any() else np.zeros_like(below)
    return np.select([below, top, share_of_wallet < 0.5], ["below_zero", "most_valuable", "most_growable"], "low_maintenance")


CLASSIFIERS = {"loyalty_effort": loyalty_effort, "profitability_loyalty": profitability_loyalty, "value": value}


def classify(scheme: str, margin, cost, rung, share_of_wallet, loyal_rung: int, high_effort: float) -> np.ndarray:
    """Class name of each customer under `scheme` (arrays over the customers reviewed)."""
    return CLASSIFIERS[scheme](margin, cost, rung, share_of_wallet, loyal_rung, high_effort)


def action_codes(classes: np.ndarray, action_of: dict[str, str]) -> np.ndarray:
    """Action code per customer from its class and the policy's class -> action map."""
    codes = np.full(len(classes), MAINTAIN, dtype=np.int8)
    for cls, act in action_of.items():
        codes[classes == cls] = ACTIONS.index(act)
    return codes
