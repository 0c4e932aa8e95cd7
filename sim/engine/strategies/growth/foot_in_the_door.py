"""Foot-in-the-door account growth (CR lecture notes): a small first offer, then larger ones while the answer is yes.

Each accepted step raises acceptance of the next through consistency, an
uplift that decays with the time since the last decision (Freedman and Fraser
1966; Dillard, Hunter and Burgoon 1984); asking again too soon backfires
(Chartrand, Pinckert and Burger 1999).  A poor fit, or value the customer does
not recognise, damages trust and can end the relationship.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.extending import register_jitable
from scipy.special import expit as logistic

from sim.engine.episodes import Clock, Episode, Event, Process
from sim.engine.mechanisms import numeric  # noqa: F401 (teaches numba scipy's expit)
from sim.engine.mechanisms.trust import green_trust
from sim.engine.strategies.growth.offers import ACCEPT, judge, offer_uniform, terms, timing
from sim.engine.view import MarketView
from sim.stages import DISSOLUTION


@register_jitable
def acceptance(trust_level, fit, size_share, history, p, rung=3, need_u=0.5, shift=0.0):
    """Chance a customer accepts the next foot-in-the-door step (`p` is FootInTheDoor).

    Each accepted earlier step adds a consistency uplift that decays with the
    time since the last decision; asking again too soon backfires.  Higher
    rungs accept more, complex needs (need uncertainty) less, and `shift` is
    the stage's openness to growth offers.  `size_share` is the size asked
    relative to what the customer does not hold yet; `history` is (earlier
    steps accepted, months since the last decision).
    """
    accepted_before, months_since = history
    uplift = accepted_before * p.consistency_effect * np.exp(-months_since / p.consistency_persistence_months)
    pressure = (accepted_before > 0) * p.immediacy_penalty * np.exp(-months_since / p.immediacy_window_months)
    z = (
        p.base_acceptance
        + shift
        + p.rung_effect * (rung - 3)
        + p.need_effect * (need_u - 0.5)
        + p.trust_effect * (trust_level - 0.5)
        + p.fit_effect * (fit - 0.5)
        - p.size_effect * size_share
        + uplift
        - pressure
    )
    return logistic(z)


def decide(market: MarketView, j: np.ndarray, step: int, size: float, since: float) -> np.ndarray:
    """Customers `j` decide on offer number `step` (from 0); returns who said yes and goes on.

    The offer is `size` products, capped by what the customer does not hold
    yet; a customer with nothing left to buy, or no longer in a relationship,
    gets no offer.  A sequence goes on only after a yes, so every customer
    here accepted all `step` earlier offers, the last one `since` months ago.
    The offer's selling cost is booked at the decision.
    """
    p, key, t = terms(market, step)
    return _decide(market.customers.records, j, (step, int(np.rint(size)), size, since), p, key, t)


@njit(cache=True)
def _decide(c, j, offer, p, key, t):  # noqa: ANN001, ANN202
    step, offer_size, size, since = offer  # offer number, its whole products, its size, months since the last
    g = p.foot_in_the_door
    go = np.zeros(len(j), dtype=np.bool_)
    for i in range(len(j)):
        r = c[j[i]]
        remaining = p.firm.max_products - r.products
        offer = min(offer_size, remaining)
        if offer <= 0 or r.stage == DISSOLUTION:
            continue
        r.cost += g.offer_cost
        r.offers += 1
        trust_level = green_trust(r.credibility, r.reliability, r.intimacy, r.self_orientation)
        need, fit, shift = timing(r, p)
        asked = size / remaining  # the size asked, uncapped, relative to the need left
        chance = acceptance(trust_level, fit, asked, (step, since), g, r.rung, r.need_u, shift)
        if offer_uniform(key, r, ACCEPT) < chance:
            r.accepted += 1
            r.products += offer
            go[i] = judge(r, p, g, key, fit, need, t)
    return go


def start(env: Clock, market: MarketView, cohort: np.ndarray) -> Process:
    """The sequences that start this month, as one process for the cohort.

    An offer is made `decision_months` before its decision; after a yes the
    next offer follows `interval_months` later, `growth_factor` times larger,
    up to `max_steps` offers.  A "no", nothing left to offer or the end of
    the relationship ends a customer's sequence.
    """
    # The first wait is scheduled here, inside the monthly step, so that a decision due exactly at a
    # month boundary is taken before that month's step, as every later decision of the sequence is.
    first = env.timeout(market.scenario.account_growth.foot_in_the_door.decision_months)
    return env.process(_sequence(env, market, cohort, first))


def _sequence(env: Clock, market: MarketView, cohort: np.ndarray, first: Event) -> Episode:
    c, p = market.customers, market.scenario.account_growth.foot_in_the_door
    size, since, wait = float(p.initial_size), p.decision_months, first
    for step in range(p.max_steps):
        yield wait
        go = decide(market, cohort, step, size, since)
        c.in_episode[cohort[~go]] = False
        cohort = cohort[go]
        if not len(cohort):
            return
        size *= p.growth_factor
        since = p.interval_months + p.decision_months
        wait = env.timeout(since)
    c.in_episode[cohort] = False
