"""Referrals (RM notes: non-monetary value counts in CLV): advocates bring new prospects from the referral pool.

Each month the customers who refer are found at once; their referrals reach
the market one by one after a delay of less than a month, in a SimPy
process, so a referred prospect enters at its own time.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import numpy as np
import simpy
from numba import njit

from sim.engine.mechanisms.month import Month
from sim.engine.streams import uniform
from sim.stages import DISSOLUTION


def arrivals(
    env: simpy.Environment, market: Any, referrers: np.ndarray, delays: np.ndarray
) -> Generator[simpy.Event, Any, None]:
    """Advocates' referrals: each reaches a new prospect from the pool after its delay (< 1 month)."""
    start = env.now
    for k in np.argsort(delays, kind="stable"):
        yield env.timeout(start + delays[k] - env.now)
        market.admit_referral(int(referrers[k]))


@njit(cache=True)
def referrers(c, n, rates, key):  # noqa: ANN001, ANN201
    """Customers 0..n-1 still in the market whose uniform of stream `key` falls below their rung's referral rate."""
    out = np.empty(n, dtype=np.int64)
    found = 0
    for k in range(n):
        r = c[k]
        if r.stage != DISSOLUTION and uniform(key, r.identity) < rates[r.rung]:
            out[found] = k
            found += 1
    return out[:found]


def step(m: Month) -> None:
    """Customers still in the market refer at their rung's rate (after this month's ladder move)."""
    rates = np.asarray(m.scenario.purchasing.referral_rate)
    referring = referrers(m.customers.records, m.n, rates, m.draws.key("referral"))
    if len(referring):
        delays = m.draws.at("referral.delay", referring)
        m.env.process(arrivals(m.env, m.market, referring, delays))
