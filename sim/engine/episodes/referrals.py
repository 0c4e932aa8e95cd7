"""Referral arrivals: the month's referrals reach the market one by one, each after its own delay."""

from __future__ import annotations

import numpy as np

from sim.engine.episodes import Clock, Episode
from sim.engine.view import MarketView


def arrivals(clock: Clock, market: MarketView, referrers: np.ndarray, delays: np.ndarray) -> Episode:
    """Advocates' referrals: each reaches a new prospect from the pool after its delay (< 1 month)."""
    start = clock.now
    for k in np.argsort(delays, kind="stable"):
        yield clock.timeout(start + delays[k] - clock.now)
        market.admit_referral(int(referrers[k]))
