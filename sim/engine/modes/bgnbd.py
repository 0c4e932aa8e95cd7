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
    residual_in_closed_form = True
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
        # A cohort starts at its first purchase: its purchases count repeat transactions from there (the agent
        # model's settled past purchases of an existing base would move every customer to expansion at once).
        c.purchases[: c.n] = 0

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

    def expected_residual(self, market: MarketView, discount: float, horizon: int) -> np.ndarray:
        """The discounted expected residual lifetime value of each customer alive at the horizon, from its traits.

        The monthly form of DERL (Fader, Hardie and Lee 2005, "RFM and CLV", JMR 42(4)): a customer alive at
        the start of a month makes W ~ Poisson(rate) purchase attempts and drops out after each purchase with
        chance p, so it makes E[min(W, L)] = (1 - exp(-rate p)) / p purchases (L geometric) and is still alive
        at the month's end with chance q = exp(-rate p) = E[(1 - p)^W].  Each purchase earns the gross margin on
        the Gamma-Gamma mean spend shape / rate, so the months from the horizon H on are worth
        d^H m / (1 - d q) with m the month's expected margin and d the monthly discount factor.
        """
        c, n = market.customers, market.customers.n
        p = np.maximum(self.dropout[:n], 1e-300)
        hazard = self.rate[:n] * p
        purchases = -np.expm1(-hazard) / p
        margin = self.scenario.firm.gross_margin * purchases * self.spend_shape[:n] / self.spend_rate[:n]
        value = discount**horizon * margin / (1.0 - discount * np.exp(-hazard))
        return np.where(c.stage[:n] != Stage.DISSOLUTION, value, 0.0)

    def step(self, market: MarketView, env: Clock, t: int) -> None:
        """A month of BG/NBD: Poisson purchases while active, dropout after each with the customer's p (memoryless)."""
        c, n = market.customers, market.customers.n
        alive = np.flatnonzero(c.stage[:n] != Stage.DISSOLUTION)  # only they draw: the same numbers as a full draw
        rate, dropout, draws = self.rate[alive], self.dropout[alive], market.draws
        wanted = stats.poisson.ppf(draws.at("bgnbd.purchases", alive), rate).astype(np.int64)
        # The purchase after which the customer drops out: geometric in the dropout probability.
        with np.errstate(divide="ignore"):
            last = np.ceil(np.log1p(-draws.at("bgnbd.dropout", alive)) / np.log1p(-dropout)).astype(np.int64)
        made = np.minimum(wanted, np.maximum(last, 1))
        shape = np.maximum(self.spend_shape[alive] * made, 1e-12)
        spend = np.where(made > 0, gammaincinv(shape, draws.at("bgnbd.spend", alive)) / self.spend_rate[alive], 0.0)
        c.revenue[alive] += spend
        c.month_purchases[alive] += made
        c.purchases[alive] += made
        stage = c.stage[:n]
        stage[alive[c.purchases[alive] >= 2]] = Stage.EXPANSION
        reached = alive[c.purchases[alive] >= 5]
        c.commitment_month[reached[c.commitment_month[reached] < 0]] = t
        stage[reached] = Stage.COMMITMENT
        market.dissolve(alive[wanted >= np.maximum(last, 1)], Cause.DISSATISFACTION, t)
