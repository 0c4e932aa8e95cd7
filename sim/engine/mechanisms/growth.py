"""Account growth (CR lecture notes): eligible customers start a growth-offer episode of the strategy in play.

The episodes themselves (foot-in-the-door, all-at-once...) live in
:mod:`sim.engine.strategies.growth`, one module each; this mechanism only
decides who starts one this month.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.engine.mechanisms.month import Month
from sim.engine.strategies.growth import GROWTH
from sim.engine.streams import uniform
from sim.stages import AWARENESS, DISSOLUTION


@njit(cache=True, inline="always")
def _eligible(r, max_products):  # noqa: ANN001, ANN202
    """In a relationship, with products left to buy and no episode under way."""
    in_relationship = r.stage != DISSOLUTION and r.stage != AWARENESS
    return in_relationship and r.products < max_products and not r.in_episode


@njit(cache=True)
def starters(c, n, rate, max_products, key, flagged):  # noqa: ANN001, ANN201
    """Eligible customers among 0..n-1 who start an episode: those whose uniform of stream `key` < rate.

    With `flagged` (event-oriented prospecting) the customers the CIF flagged
    this month start first, and the rest of the month's offers (`rate` times
    the eligible customers, in expectation) go at random to the others: the
    same effort as random prospecting, spent on needs first.
    """
    if flagged:  # the offers left after the flagged customers, as a rate over the others
        eligible = spotted = 0
        for k in range(n):
            if _eligible(c[k], max_products):
                eligible += 1
                spotted += c[k].flagged
        if eligible > spotted:
            rate = max(rate * eligible - spotted, 0.0) / (eligible - spotted)
    out = np.empty(n, dtype=np.int64)
    found = 0
    for k in range(n):
        r = c[k]
        if _eligible(r, max_products) and ((flagged and r.flagged) or uniform(key, r.identity) < rate):
            out[found] = k
            found += 1
    return out[:found]


def step(m: Month) -> None:
    """Customers in a relationship with products left to buy and no episode under way start one.

    At the offer rate; under event-oriented prospecting the CIF's flagged customers first (see `starters`).
    """
    sc, c, n = m.scenario, m.customers, m.n
    growth = sc.strategy.account_growth
    if growth == "none":
        return
    rate = getattr(sc.account_growth, growth).offer_rate
    flagged = sc.strategy.prospecting == "event_oriented"
    starts = starters(c.records, n, rate, sc.firm.max_products, m.draws.key("growth.start"), flagged)
    if len(starts):
        c.in_episode[starts] = True  # until the customer's episode ends
        GROWTH[growth](m.env, m.market, starts)
