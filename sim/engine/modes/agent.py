"""The agent-based model: each month, customers go through the named mechanisms in order.

Dense, periodic behaviour runs as one compiled pass over the customers
(:mod:`sim.engine.kernel`); sparse episodes (growth offers, referrals) are
started as SimPy processes by their mechanisms and run between monthly
steps.  Every mechanism draws from its own named stream (:mod:`sim.engine.streams`).
"""

from __future__ import annotations

import numpy as np

from sim.engine.episodes import Clock
from sim.engine.kernel import Kernel
from sim.engine.mechanisms import referrals
from sim.engine.mechanisms.month import Month
from sim.engine.modes.base import Mode
from sim.engine.strategies import growth as growth_strategies
from sim.engine.strategies import portfolio
from sim.engine.view import MarketView
from sim.stages import Stage

#: What follows the compiled pass each month: the review ranks customers against each other; referrals and
#: growth offers start SimPy processes.
AFTER_PASS = (portfolio.review, referrals.step, growth_strategies.step)


class Agent(Mode):
    """Stages, ladder, trust, satisfaction, commitment, episodes and strategies: the full behavioural model."""

    name = "agent"
    ignores = ("markov", "segments[*].buy_till_you_die", "segments[*].discrete_time")
    revenue_from_wallet = True  # wallet x share of wallet x basket
    opens_months = True  # the compiled pass counts and zeroes each customer as it reaches it

    def prepare(self, market: MarketView, traits: np.random.Generator) -> None:
        """Gather the compiled month's parameters and spend tables for this replication."""
        self.kernel = Kernel(market)

    def valued_after_horizon(self, stage: np.ndarray) -> np.ndarray:
        """Customers in a relationship; a prospect who has not bought by the horizon is worth nothing after it."""
        return (stage != Stage.DISSOLUTION) & (stage != Stage.AWARENESS)

    def step(self, market: MarketView, env: Clock, t: int) -> None:
        """One agent month: the compiled pass (:mod:`sim.engine.kernel`), then review, referrals and offers."""
        m = Month(market, env, t, *self.kernel.month(market, t))
        for mechanism in AFTER_PASS:
            mechanism(m)
