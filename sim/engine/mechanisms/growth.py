"""Account growth (CR lecture notes): eligible customers start a growth-offer episode of the strategy in play.

The episodes themselves (foot-in-the-door, all-at-once...) live in
:mod:`sim.engine.strategies.growth`, one module each; this mechanism only
decides who starts one this month.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.engine.mechanisms.draws import U_GROWTH_START, draw
from sim.engine.streams import uniform
from sim.scenario import Scenario
from sim.stages import AWARENESS, DISSOLUTION


@njit(cache=True, inline="always")
def eligible(r, max_products):  # noqa: ANN001, ANN201
    """In a relationship, with products left to buy and no episode under way (asked by the compiled pass)."""
    in_relationship = r.stage != DISSOLUTION and r.stage != AWARENESS
    return in_relationship and r.products < max_products and not r.in_episode


@njit(cache=True, inline="always")
def candidate(r, p, u):  # noqa: ANN001, ANN201
    """Whether the customer may start an episode this month (asked by the compiled pass after its month).

    Eligible, and its uniform of "growth.start" below the offer rate: the
    draw `starters` asks again after the review (the same number).  Under
    event-oriented prospecting the rate depends on how many are eligible, so
    every eligible customer is a candidate; with no growth strategy (rate 0) none is.
    """
    if not eligible(r, p.firm.max_products):
        return False
    return p.event_oriented or (p.growth_rate > 0.0 and draw(u, U_GROWTH_START, r) < p.growth_rate)


@njit(cache=True)
def starters(c, candidates, rate, max_products, key, flagged):  # noqa: ANN001, ANN201
    """Eligible customers among `candidates` who start an episode: those whose uniform of stream `key` < rate.

    The candidates are those the pass found (`candidate`); a review since may have let some go, so each is asked
    again.

    With `flagged` (event-oriented prospecting) the customers the CIF flagged
    this month start first, and the rest of the month's offers (`rate` times
    the eligible customers, in expectation) go at random to the others: the
    same effort as random prospecting, spent on needs first.
    """
    if flagged:  # the offers left after the flagged customers, as a rate over the others
        count = spotted = 0
        for k in candidates:
            if eligible(c[k], max_products):
                count += 1
                spotted += c[k].flagged
        if count > spotted:
            rate = max(rate * count - spotted, 0.0) / (count - spotted)
    out = np.empty(len(candidates), dtype=np.int64)
    found = 0
    for k in candidates:
        r = c[k]
        if eligible(r, max_products) and ((flagged and r.flagged) or uniform(key, r.identity) < rate):
            out[found] = k
            found += 1
    return out[:found]


def offer_rate(scenario: Scenario) -> float:
    """Monthly chance an eligible customer starts a growth episode under the strategy in play (0: none)."""
    growth = scenario.strategy.account_growth
    return 0.0 if growth == "none" else float(getattr(scenario.account_growth, growth).offer_rate)
