"""Discrete-time buy-till-you-die mode: one transaction opportunity a period, BG/BB (Fader, Hardie and Shang 2010).

Each customer draws a transaction probability p ~ Beta(alpha, beta) and a dropout probability
theta ~ Beta(gamma, delta) for life.  It enters at its first transaction (opportunity 0, the month it
enters); every `period_months` after that comes an opportunity, before which it becomes inactive for good with
chance theta; if still alive it transacts with chance p and spends a Gamma-Gamma amount.  Nothing happens in
the months between opportunities.  A customer's rung is the octile of its p within its segment; its stage
follows its repeat transactions as in the BG/NBD mode.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
from scipy.special import betaincinv, gammaincinv

from sim.engine.episodes import Clock
from sim.engine.modes.bgnbd import BuyTillYouDie
from sim.engine.state import Customers
from sim.engine.view import MarketView
from sim.stages import Cause, Stage


class DiscreteBuyTillYouDie(BuyTillYouDie):
    """A fitted BG/BB population with Gamma-Gamma spend (``segments[*].discrete_time``)."""

    name = "bgbb"
    fitted = "discrete_time"
    # BG/NBD's ignored levers, with the other fitted table in place of its own
    ignores = tuple(p for p in BuyTillYouDie.ignores if p != "segments[*].discrete_time") + (
        "segments[*].buy_till_you_die",
    )

    @cached_property
    def period(self) -> np.ndarray:
        """Months between opportunities, by segment."""
        return np.array([s.discrete_time.period_months for s in self.scenario.segments])

    def _traits(self, c: Customers, places: slice) -> None:
        """Each place's chances to buy (p) and to drop out (theta) and its spend, by inverse CDF of its uniforms."""
        u, of = self.u[c.identity[places]], self._fitted(c, places)
        self.rate[places] = betaincinv(of("alpha"), of("beta"), u[:, 0])  # p: the chance to buy at an opportunity
        self.dropout[places] = betaincinv(of("gamma"), of("delta"), u[:, 1])  # theta
        self.spend_rate[places] = gammaincinv(of("spend_q"), u[:, 2]) / of("spend_scale")
        self.spend_shape[places] = of("spend_p")
        c.rung[places] = np.minimum((u[:, 0] * 8).astype(np.int8), 7)  # the octile of p
        c.initial_rung[places] = c.rung[places]

    def step(self, market: MarketView, env: Clock, t: int) -> None:
        """Opportunities due this month: dropout first (theta), then a transaction with chance p."""
        c, n = market.customers, market.customers.n
        since = t - np.maximum(c.entered[:n], 0)
        due = np.flatnonzero(
            (c.stage[:n] != Stage.DISSOLUTION) & (since > 0) & (since % self.period[c.segment[:n]] == 0)
        )
        draws = market.draws
        gone = draws.at("bgbb.dropout", due) < self.dropout[due]
        market.dissolve(due[gone], Cause.DISSATISFACTION, t)
        due = due[~gone]
        buys = due[draws.at("bgbb.purchase", due) < self.rate[due]]
        spend = gammaincinv(self.spend_shape[buys], draws.at("bgbb.spend", buys)) / self.spend_rate[buys]
        self._book(c, buys, 1, spend, t)

    def expected_residual(self, market: MarketView, discount: float, horizon: int) -> np.ndarray:
        """Each alive customer's expected margin from its opportunities after the horizon, discounted to month 0.

        With P months between opportunities and the next one at month m >= horizon, the j-th from there is
        reached alive with chance (1 - theta)^j and earns p times the margin on the mean spend, so the sum is
        d^m (1 - theta) p g z / (1 - (1 - theta) d^P).
        """
        c, n = market.customers, market.customers.n
        entered = np.maximum(c.entered[:n], 0)
        period = self.period[c.segment[:n]]
        after = horizon - entered  # months from entry to the horizon: the next opportunity is the next multiple
        first = entered + np.maximum(-(-after // period), 1) * period
        stay, margin = 1.0 - self.dropout[:n], self.rate[:n] * self._margin_per_purchase(n)
        return self._alive_only(c, discount**first * stay * margin / (1.0 - stay * discount**period))
