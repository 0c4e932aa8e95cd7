"""All-at-once account growth (CR lecture notes): one offer of the full range, decided after a longer while.

Acceptance is lower on average but rises with customer size, need
uncertainty and the firm's problem-solving ability: the approach suits large
customers with complex problems.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.extending import register_jitable
from scipy.special import expit as logistic

from sim.engine.episodes import Clock, Episode, Process
from sim.engine.mechanisms import numeric  # noqa: F401 (teaches numba scipy's expit)
from sim.engine.mechanisms.trust import green_trust
from sim.engine.strategies.growth.offers import ACCEPT, judge, offer_uniform, terms, timing
from sim.engine.view import MarketView
from sim.stages import DISSOLUTION


@register_jitable
def acceptance(trust_level, fit, size, need_u, problem_solving, p, rung=3, shift=0.0):
    """Chance a customer accepts the comprehensive offer (`p` is AllAtOnce).

    `size` is the wallet relative to the reference wallet.  Rises with customer
    size, need uncertainty, the firm's problem-solving ability and the rung;
    `shift` is the stage's openness to growth offers.
    """
    z = (
        p.base_acceptance
        + shift
        + p.rung_effect * (rung - 3)
        + p.trust_effect * (trust_level - 0.5)
        + p.fit_effect * (fit - 0.5)
        + p.size_effect * np.log(size)
        + p.need_effect * (need_u - 0.5)
        + p.problem_solving_effect * (problem_solving - 0.5)
    )
    return logistic(z)


def start(env: Clock, market: MarketView, cohort: np.ndarray) -> Process:
    """Comprehensive offers made this month; each customer decides after an exponential time."""
    return env.process(_offers(env, market, cohort))


def _offers(env: Clock, market: MarketView, cohort: np.ndarray) -> Episode:
    c, p = market.customers, market.scenario.account_growth.all_at_once
    c.cost[cohort] += p.offer_cost
    at = env.now - p.decision_months * np.log1p(-decision_uniforms(market, cohort))  # exponential decision times
    # Between two monthly steps nothing but its own episode touches a customer, so the decisions that
    # fall in one month are taken together, at the first of them: same draws, same state, same month.
    order = np.argsort(at, kind="stable")
    month = np.floor(at[order])
    for due in np.split(order, np.flatnonzero(np.diff(month)) + 1):
        yield env.timeout(at[due[0]] - env.now)
        decide(market, cohort[due])


def decision_uniforms(market: MarketView, j: np.ndarray) -> np.ndarray:
    """A uniform per customer `j` for the time its decision takes (drawn in the month the offer is made)."""
    return market.draws.at("growth.delay", j)


def decide(market: MarketView, j: np.ndarray) -> None:
    """Customers `j` decide on the comprehensive offer; whatever they decide, their episode ends."""
    market.customers.in_episode[j] = False
    _decide(market.customers.records, j, *terms(market, 0))


@njit(cache=True)
def _decide(c, j, p, key, t):  # noqa: ANN001, ANN202
    g = p.all_at_once
    for k in j:
        r = c[k]
        if r.stage == DISSOLUTION:
            continue
        r.offers += 1
        trust_level = green_trust(r.credibility, r.reliability, r.intimacy, r.self_orientation)
        need, fit, shift = timing(r, p)
        size = r.wallet / g.reference_wallet
        chance = acceptance(trust_level, fit, size, r.need_u, p.firm.problem_solving_ability, g, r.rung, shift)
        if offer_uniform(key, r, ACCEPT) < chance:
            r.accepted += 1
            r.products = p.firm.max_products
            judge(r, p, g, key, fit, need, t)
