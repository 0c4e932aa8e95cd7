"""Buy-till-you-die mode: each customer buys as a Poisson process while active and drops out after a purchase.

BG/NBD purchasing and dropout (Fader, Hardie and Lee 2005) with Gamma-Gamma
spend, from parameters ``crmsim calibrate`` fits to a transaction log.  A
customer's rung is the octile of its purchase rate within its segment; its
stage follows its repeat purchases (2 make expansion, 5 commitment: a
documented convention).
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from scipy.special import betaincinv, gammaincinv

from sim.engine.episodes import Clock
from sim.engine.modes.base import BEHAVIOURAL_KPIS, BEHAVIOURAL_LEVERS, Mode
from sim.engine.state import Customers
from sim.engine.view import MarketView
from sim.stages import Cause, Stage


class BuyTillYouDie(Mode):
    """A fitted BG/NBD and Gamma-Gamma population (``segments[*].buy_till_you_die``)."""

    name = "bgnbd"
    unmodelled_kpis = BEHAVIOURAL_KPIS | {
        "acquired",
        "acquisition_cost",
        "cost_to_serve",
        "time_to_commitment",
        "reached_commitment",
    }
    ignores = BEHAVIOURAL_LEVERS + (
        "migration",
        "markov",
        "firm.transfer_ability",
        "firm.problem_solving_ability",
        "firm.self_orientation",
        "firm.max_products",
        "firm.capacity",
        "segments[*].acquisition_cost",
        "segments[*].initial_rungs",
    )

    def initial_stages(self, stage: np.ndarray, rung: np.ndarray) -> np.ndarray:
        """A buy-till-you-die cohort starts at its first purchase."""
        return np.full_like(stage, Stage.EXPLORATION)

    def prepare(self, market: MarketView, traits: np.random.Generator) -> None:
        """Each customer's purchase rate, dropout probability and spend rate, from its segment's fitted distributions.

        Drawn by inverse CDF, so a customer's rung is simply the octile of its
        purchase rate within its segment: rung 8 holds the heaviest buyers.
        """
        c = market.customers
        self.u = traits.random((c.capacity + market.entrants.capacity, 3))  # by identity (see Customers.identity)
        self.rate, self.dropout, self.spend_rate, self.spend_shape = (np.empty(c.capacity) for _ in range(4))
        self._traits(c, slice(0, c.n))  # no referrals here: the pool's places are never taken

    def admit(self, market: MarketView, places: slice) -> None:
        """A cohort's customers draw their traits from their own segment's distributions."""
        self._traits(market.customers, places)

    def _traits(self, c: Customers, places: slice) -> None:
        u, seg = self.u[c.identity[places]], c.segment[places]
        fits = [s.buy_till_you_die for s in self.scenario.segments]

        def per_customer(attr: str) -> np.ndarray:
            return np.array([getattr(f, attr) for f in fits])[seg]

        self.rate[places] = gammaincinv(per_customer("r"), u[:, 0]) / per_customer("alpha_per_month")
        self.dropout[places] = betaincinv(per_customer("a"), per_customer("b"), u[:, 1])
        self.spend_rate[places] = gammaincinv(per_customer("q"), u[:, 2]) / per_customer("gamma")
        self.spend_shape[places] = per_customer("p")
        c.rung[places] = np.minimum((u[:, 0] * 8).astype(np.int8), 7)
        c.initial_rung[places] = c.rung[places]

    def step(self, market: MarketView, env: Clock, t: int) -> None:
        """A month of BG/NBD: Poisson purchases while active, dropout after each with the customer's p (memoryless)."""
        c, n = market.customers, market.customers.n
        alive = c.stage[:n] != Stage.DISSOLUTION
        wanted = stats.poisson.ppf(market.draws("bgnbd.purchases"), self.rate[:n]).astype(np.int64)
        # The purchase after which the customer drops out: geometric in the dropout probability.
        with np.errstate(divide="ignore"):
            last = np.ceil(np.log1p(-market.draws("bgnbd.dropout")) / np.log1p(-self.dropout[:n])).astype(np.int64)
        last = np.maximum(last, 1)
        made = np.where(alive, np.minimum(wanted, last), 0)
        shape = np.maximum(self.spend_shape[:n] * made, 1e-12)
        spend = np.where(made > 0, gammaincinv(shape, market.draws("bgnbd.spend")) / self.spend_rate[:n], 0.0)
        c.revenue[:n] += spend
        c.month_purchases[:n] += made
        c.purchases[:n] += made
        stage = c.stage[:n]
        stage[alive & (c.purchases[:n] >= 2)] = Stage.EXPANSION
        reached = alive & (c.purchases[:n] >= 5)
        c.commitment_month[:n][reached & (c.commitment_month[:n] < 0)] = t
        stage[reached] = Stage.COMMITMENT
        market.dissolve(np.flatnonzero(alive & (wanted >= last)), Cause.DISSATISFACTION, t)
