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

    @cached_property
    def period(self) -> np.ndarray:
        """Months between opportunities, by segment."""
        return np.array([s.discrete_time.period_months for s in self.scenario.segments])

    def _traits(self, c: Customers, places: slice) -> None:
        u, seg = self.u[c.identity[places]], c.segment[places]
        fits = [s.discrete_time for s in self.scenario.segments]

        def per_customer(attr: str) -> np.ndarray:
            return np.array([getattr(f, attr) for f in fits])[seg]

        self.rate[places] = betaincinv(per_customer("alpha"), per_customer("beta"), u[:, 0])  # p: chance to buy
        self.dropout[places] = betaincinv(per_customer("gamma"), per_customer("delta"), u[:, 1])  # theta
        self.spend_rate[places] = gammaincinv(per_customer("spend_q"), u[:, 2]) / per_customer("spend_scale")
        self.spend_shape[places] = per_customer("spend_p")
        c.rung[places] = np.minimum((u[:, 0] * 8).astype(np.int8), 7)
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
        c.revenue[buys] += spend
        c.month_purchases[buys] += 1
        c.purchases[buys] += 1
        c.stage[buys[c.purchases[buys] >= 2]] = Stage.EXPANSION
        reached = buys[c.purchases[buys] >= 5]
        c.commitment_month[reached[c.commitment_month[reached] < 0]] = t
        c.stage[reached] = Stage.COMMITMENT

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
        stay = 1.0 - self.dropout[:n]
        margin = self.scenario.firm.gross_margin * self.rate[:n] * self.spend_shape[:n] / self.spend_rate[:n]
        value = discount**first * stay * margin / (1.0 - stay * discount**period)
        return np.where(c.stage[:n] != Stage.DISSOLUTION, value, 0.0)
