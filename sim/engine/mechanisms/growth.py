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
from sim.stages import AWARENESS, DISSOLUTION


@njit(cache=True)
def starters(c, n, rate, max_products, u):  # noqa: ANN001, ANN201
    """Customers 0..n-1 in a relationship, with products left to buy and no episode under way, whose `u` < rate."""
    out = np.empty(n, dtype=np.int64)
    found = 0
    for k in range(n):
        r = c[k]
        in_relationship = r.stage != DISSOLUTION and r.stage != AWARENESS
        if in_relationship and r.products < max_products and not r.in_episode and u[k] < rate:
            out[found] = k
            found += 1
    return out[:found]


def step(m: Month) -> None:
    """Customers in a relationship with products left to buy and no episode under way start one at the offer rate."""
    sc, c, n = m.scenario, m.customers, m.n
    growth = sc.strategy.account_growth
    if growth == "none":
        return
    rate = getattr(sc.account_growth, growth).offer_rate
    starts = starters(c.records, n, rate, sc.firm.max_products, m.draws("growth.start"))
    if len(starts):
        c.in_episode[starts] = True  # until the customer's episode ends
        GROWTH[growth](m.env, m.market, starts)
