"""What the mechanisms of one agent month share: the market, the month's draws, and who is in a relationship.

The agent month runs its mechanisms in order (:data:`sim.engine.modes.agent.MECHANISMS`).
Each mechanism reads and writes the customer arrays and leaves on the
:class:`Month` what later mechanisms of the same month need (who bought, who
had a failure, the month's trust...).  Customers in a relationship are
stepped by index (``rel``): most of a market is prospects who never tried or
former customers, who need little of this.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import simpy

from sim.stages import AWARENESS, DISSOLUTION


def happens(who: np.ndarray, u: np.ndarray, chance: Callable[..., np.ndarray], *per_customer: np.ndarray) -> np.ndarray:
    """Whether an event happens to each customer in mask `who`: ``u < chance(*per_customer)``.

    The chance is evaluated only for the customers in `who`: the expensive
    probabilities (logistic, exponential) concern a fraction of the market.
    """
    idx = np.flatnonzero(who)
    out = np.zeros(len(who), dtype=bool)
    out[idx] = u[idx] < chance(*(x[idx] for x in per_customer))
    return out


class Month:
    """One month of the agent model: shared context and the results mechanisms hand on to each other."""

    def __init__(self, market: Any, env: simpy.Environment, t: int) -> None:
        self.market, self.env, self.t = market, env, t
        self.scenario, self.customers, self.draws = market.scenario, market.customers, market.draws
        self.n = self.customers.n
        stage = self.customers.stage[: self.n]
        self.alive = stage != DISSOLUTION  # at the start of the month
        self.prospect = stage == AWARENESS
        self.trial = np.zeros(self.n, dtype=bool)  # prospects who try a product this month
        self.rel = np.zeros(0, dtype=np.int64)  # customers in a relationship this month, today's triers included
        self.new = np.zeros(0, dtype=bool)  # over rel: tried this month
        self.old = np.zeros(0, dtype=bool)  # over rel: in a relationship before this month

    def enter_relationships(self) -> None:
        """Fix who is stepped as a customer this month (after the trials) and gather their characteristics."""
        c = self.customers
        self.rel = np.flatnonzero((self.alive & ~self.prospect) | self.trial)
        self.new = self.trial[self.rel]
        self.old = ~self.new
        rel = self.rel
        self.rung = c.rung[rel]  # rung at the start of the month
        self.stage = c.stage[rel]  # stage at the start of the month (today's triers: exploration)
        self.need_u, self.market_u, self.transaction_u = c.need_u[rel], c.market_u[rel], c.transaction_u[rel]

    def u(self, purpose: str) -> np.ndarray:
        """This month's uniforms of `purpose` for the customers in a relationship."""
        return self.draws(purpose)[self.rel]
