"""Account growth (CR lecture notes): eligible customers start a growth-offer episode of the strategy in play.

The episodes themselves (foot-in-the-door, all-at-once...) live in
:mod:`sim.engine.strategies.growth`, one module each; this mechanism only
decides who starts one this month.
"""

from __future__ import annotations

import numpy as np

from sim.engine.mechanisms.month import Month
from sim.engine.strategies.growth import GROWTH
from sim.stages import AWARENESS, DISSOLUTION


def step(m: Month) -> None:
    """Customers in a relationship with products left to buy and no episode under way start one at the offer rate."""
    sc, c, n = m.scenario, m.customers, m.n
    growth = sc.strategy.account_growth
    if growth == "none":
        return
    rate = getattr(sc.account_growth, growth).offer_rate
    stage = c.stage[:n]
    eligible = (
        (stage != DISSOLUTION) & (stage != AWARENESS) & (c.products[:n] < sc.firm.max_products) & ~c.in_episode[:n]
    )
    starts = np.flatnonzero(eligible & (m.draws("growth.start") < rate))
    if len(starts):
        c.in_episode[starts] = True  # until the customer's episode ends
        GROWTH[growth](m.env, m.market, starts)
