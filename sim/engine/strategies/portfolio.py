"""Portfolio policy: classify customers by a scheme of the source notes and act per class (``[portfolio_policy]``).

Schemes: loyalty by customer-management effort (CR lecture notes), profitability by
loyalty (PRM notes), value categories (RM notes).  Actions: invest, maintain,
streamline, reprice, fire.  The classification functions are pure and
vectorised; :func:`effects` turns each customer's action into this month's
interaction rate, cost and price, and :func:`review` classifies at each review.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.engine.mechanisms.month import Month
from sim.engine.view import MarketView
from sim.stages import AWARENESS, DISSOLUTION, Cause

# Actions a portfolio policy can take; codes are stored per customer.
ACTIONS = ("maintain", "invest", "streamline", "reprice", "fire")
MAINTAIN, INVEST, STREAMLINE, REPRICE, FIRE = range(len(ACTIONS))


def _high(x: np.ndarray, multiple: float = 1.0) -> np.ndarray:
    """Above `multiple` times the median of `x` (an empty array has nothing high)."""
    return x > multiple * np.median(x) if len(x) else np.zeros(0, dtype=bool)


def loyalty_effort(margin, cost, rung, share_of_wallet, loyal_rung, high_effort) -> np.ndarray:
    """CR lecture notes: loyalty on the ladder against customer-management effort (cost to serve).

    switchers (low, low), most_valuable (loyal, low effort), undesirable
    (not loyal, high effort), partners (loyal, high effort).
    """
    loyal = rung >= loyal_rung - 1
    effort = _high(cost, high_effort)
    return np.select(
        [~loyal & ~effort, loyal & ~effort, ~loyal & effort], ["switchers", "most_valuable", "undesirable"], "partners"
    )


def profitability_loyalty(margin, cost, rung, share_of_wallet, loyal_rung, high_effort) -> np.ndarray:
    """PRM notes: profitability against projected loyalty.

    strangers (neither), butterflies (profitable, not loyal), true_friends
    (both), barnacles (loyal, not profitable).
    """
    loyal = rung >= loyal_rung - 1
    profitable = (margin > 0) & (margin >= np.median(margin) if len(margin) else margin > 0)
    return np.select(
        [~profitable & ~loyal, profitable & ~loyal, profitable & loyal],
        ["strangers", "butterflies", "true_friends"],
        "barnacles",
    )


def value(margin, cost, rung, share_of_wallet, loyal_rung, high_effort) -> np.ndarray:
    """RM notes: customer value categories.

    below_zero (losing money), most_valuable (margin at or above the median),
    most_growable (below the median with room in the wallet), low_maintenance
    (the rest: small, positive, already concentrated).
    """
    below = margin < 0
    top = margin >= np.median(margin[~below]) if (~below).any() else np.zeros_like(below)
    return np.select(
        [below, top, share_of_wallet < 0.5], ["below_zero", "most_valuable", "most_growable"], "low_maintenance"
    )


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


def review(m: Month) -> None:
    """At each review month, classify customers in a relationship by the policy's scheme and set each one's action."""
    pp, t = m.scenario.portfolio_policy, m.t
    if pp.scheme == "none" or t == 0 or t % pp.review_months:
        return
    classify_and_act(m.market, t)


def classify_and_act(market: MarketView, t: int) -> None:
    """Classify the customers a review can judge, set their actions, fire those the policy fires, reset the window."""
    c, pp = market.customers, market.scenario.portfolio_policy
    n = c.n
    tenure = t - np.maximum(c.acquired_month[:n], 0)  # existing customers count from month 0
    ready = (c.window_months[:n] > 0) & (tenure >= pp.min_tenure_months)
    who = np.flatnonzero((c.stage[:n] != DISSOLUTION) & (c.stage[:n] != AWARENESS) & ready)
    months = c.window_months[who]
    classes = classify(
        pp.scheme,
        c.window_margin[who] / months,
        c.window_cost[who] / months,
        c.rung[who],
        c.share_of_wallet[who],
        pp.loyal_rung,
        pp.high_effort,
    )
    codes = action_codes(classes, pp.action_of())
    c.action[who] = codes
    market.dissolve(who[codes == FIRE], Cause.FIRED, t)
    c.window_margin[:n] = 0.0
    c.window_cost[:n] = 0.0
    c.window_months[:n] = 0


@njit(cache=True, inline="always")
def effects(r, p):  # noqa: ANN001, ANN201
    """The portfolio action's interaction rate, cost factor and price; and whether it invests or reprices."""
    act, post, pp = r.action, p.posture, p.portfolio_policy
    invest, streamline, reprice = (
        (1.0 if act == INVEST else 0.0),
        (1.0 if act == STREAMLINE else 0.0),
        (1.0 if act == REPRICE else 0.0),
    )
    rate = min(
        (post.interaction_rate + invest * pp.invest_interactions) * (1.0 - streamline * pp.streamline_interactions), 1.0
    )
    cost_factor = p.offering.cost_factor * (1.0 - streamline * pp.streamline_saving)
    price = post.price_index * p.offering.price_factor * (1.0 + reprice * pp.price_rise)
    return rate, cost_factor, price, invest, reprice
