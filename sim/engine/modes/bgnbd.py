"""Buy-till-you-die mode: each customer buys as a Poisson process while active and drops out after a purchase.

BG/NBD purchasing and dropout (Fader, Hardie and Lee 2005) with Gamma-Gamma
spend, from parameters ``crmsim calibrate`` fits to a transaction log.  A
customer's rung is the octile of its purchase rate within its segment; its
stage follows its repeat purchases (2 make expansion, 5 commitment: a
documented convention).
"""

from __future__ import annotations

from collections.abc import Callable

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
    fitted = "buy_till_you_die"  # the segments' table of fitted parameters this mode reads
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
        "segments[*].discrete_time",
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
        """Each place's purchase rate, dropout probability and spend, by inverse CDF of its own uniforms."""
        u, of = self.u[c.identity[places]], self._fitted(c, places)
        self.rate[places] = gammaincinv(of("r"), u[:, 0]) / of("alpha_per_month")
        self.dropout[places] = betaincinv(of("a"), of("b"), u[:, 1])
        self.spend_rate[places] = gammaincinv(of("q"), u[:, 2]) / of("gamma")
        self.spend_shape[places] = of("p")
        c.rung[places] = np.minimum((u[:, 0] * 8).astype(np.int8), 7)  # the octile of the first trait
        c.initial_rung[places] = c.rung[places]

    def _fitted(self, c: Customers, places: slice) -> Callable[[str], np.ndarray]:
        """A function giving each place's value of one fitted parameter of its segment (the mode's table)."""
        fits = [getattr(s, self.fitted) for s in self.scenario.segments]
        seg = c.segment[places]
        return lambda attr: np.array([getattr(f, attr) for f in fits])[seg]

    def _margin_per_purchase(self, n: int) -> np.ndarray:
        """Each customer's expected margin on one purchase: the gross margin on its Gamma-Gamma mean spend."""
        return self.scenario.firm.gross_margin * self.spend_shape[:n] / self.spend_rate[:n]

    @staticmethod
    def _book(c: Customers, buyers: np.ndarray, made: np.ndarray | int, spend: np.ndarray, t: int) -> None:
        """Book month t's purchases of `buyers`; repeat purchases move the stage (2: expansion, 5: commitment)."""
        c.revenue[buyers] += spend
        c.month_purchases[buyers] += made
        c.purchases[buyers] += made
        c.stage[buyers[c.purchases[buyers] >= 2]] = Stage.EXPANSION
        reached = buyers[c.purchases[buyers] >= 5]
        c.commitment_month[reached[c.commitment_month[reached] < 0]] = t
        c.stage[reached] = Stage.COMMITMENT

    @staticmethod
    def _alive_only(c: Customers, value: np.ndarray) -> np.ndarray:
        """`value` for customers still in a relationship, 0 for the others (the dissolved are worth nothing)."""
        return np.where(c.stage[: c.n] != Stage.DISSOLUTION, value, 0.0)

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
        margin = -np.expm1(-hazard) / p * self._margin_per_purchase(n)
        return self._alive_only(c, discount**horizon * margin / (1.0 - discount * np.exp(-hazard)))

    def step(self, market: MarketView, env: Clock, t: int) -> None:
        """A month of BG/NBD: Poisson purchases while active, dropout after each with the customer's p (memoryless)."""
        c = market.customers
        alive = np.flatnonzero(c.stage[: c.n] != Stage.DISSOLUTION)  # only they draw: the same numbers as a full draw
        rate, dropout, draws = self.rate[alive], self.dropout[alive], market.draws
        wanted = stats.poisson.ppf(draws.at("bgnbd.purchases", alive), rate).astype(np.int64)
        # The purchase after which the customer drops out: geometric in the dropout probability.
        with np.errstate(divide="ignore"):
            last = np.ceil(np.log1p(-draws.at("bgnbd.dropout", alive)) / np.log1p(-dropout)).astype(np.int64)
        last = np.maximum(last, 1)
        made = np.minimum(wanted, last)
        shape = np.maximum(self.spend_shape[alive] * made, 1e-12)
        spend = np.where(made > 0, gammaincinv(shape, draws.at("bgnbd.spend", alive)) / self.spend_rate[alive], 0.0)
        self._book(c, alive, made, spend, t)
        market.dissolve(alive[wanted >= last], Cause.DISSATISFACTION, t)
