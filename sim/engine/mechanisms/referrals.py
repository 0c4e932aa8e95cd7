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

from sim.engine.mechanisms.month import Month
from sim.stages import DISSOLUTION


def arrivals(
    env: simpy.Environment, market: Any, referrers: np.ndarray, delays: np.ndarray
) -> Generator[simpy.Event, Any, None]:
    """Advocates' referrals: each reaches a new prospect from the pool after its delay (< 1 month)."""
    start = env.now
    for k in np.argsort(delays, kind="stable"):
        yield env.timeout(start + delays[k] - env.now)
        market.admit_referral(int(referrers[k]))


def step(m: Month) -> None:
    """Customers still in the market refer at their rung's rate (after this month's ladder move)."""
    c, n = m.customers, m.n
    still = c.stage[:n] != DISSOLUTION
    rate = np.asarray(m.scenario.purchasing.referral_rate)[c.rung[:n]]
    referring = np.flatnonzero(still & (m.draws("referral") < rate))
    if len(referring):
        delays = m.draws("referral.delay")[referring].astype(float)
        m.env.process(arrivals(m.env, m.market, referring, delays))
