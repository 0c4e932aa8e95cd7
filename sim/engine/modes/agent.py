"""The agent-based model: each month, customers go through the named mechanisms in order.

Dense, periodic behaviour is vectorised over the customer arrays; sparse
episodes (growth offers, referrals) are started as SimPy processes by their
mechanisms and run between monthly steps.  Every mechanism draws from its own
named stream (:mod:`sim.engine.streams`).
"""

from __future__ import annotations

from typing import Any

import simpy

from sim.engine.mechanisms import (
    acquisition,
    commitment,
    competition,
    dissolution,
    growth,
    interactions,
    investments,
    ladder,
    purchases,
    referrals,
    satisfaction,
    service,
    share_of_wallet,
    stages,
    trust,
)
from sim.engine.mechanisms.month import Month
from sim.engine.modes.base import Mode
from sim.engine.strategies import portfolio

#: The agent month, in order.  Acquisition runs first, before who is in a relationship is fixed.
MECHANISMS = (
    portfolio.effects,  # the policy's actions set this month's interaction rate, cost and price
    investments.step,
    interactions.step,
    purchases.step,
    service.step,
    satisfaction.step,
    commitment.step,
    share_of_wallet.step,
    ladder.step,
    stages.step,
    competition.step,
    dissolution.step,
    trust.drift,
    portfolio.review,
    referrals.step,
    growth.step,
)


class Agent(Mode):
    """Stages, ladder, trust, satisfaction, commitment, episodes and strategies: the full behavioural model."""

    name = "agent"
    ignores = ("markov", "segments[*].buy_till_you_die")

    def step(self, market: Any, env: simpy.Environment, t: int) -> None:
        """One month of the agent model."""
        m = Month(market, env, t)
        acquisition.step(m)
        m.enter_relationships()
        for mechanism in MECHANISMS:
            mechanism(m)
