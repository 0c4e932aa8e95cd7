"""The market: one SimPy process that advances every customer by one month at a time.

The behaviour mode (:mod:`sim.engine.modes`) says what a month does; the
market opens each month (its draws, the start-of-month records), lets the
mode step every customer, and closes it (money, discounting, records).
Sparse episodes (growth offers, referrals) run as SimPy processes between
monthly steps and read and write the same customer arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from sim.engine.modes import mode_for
from sim.engine.records import Recorder
from sim.engine.state import Customers
from sim.scenario import Scenario
from sim.stages import Cause, Stage

# Transitional: the month's uniforms still come as one block with a column per purpose.
_AGENT = {
    "interaction": 0, "purchase": 1, "basket": 2, "service.failure": 3, "service.recovery": 4, "ladder.up": 5,
    "ladder.down": 6, "ladder.failure_drop": 7, "stage": 8, "competitor.offer": 9, "competitor.switch": 10,
    "dissolution": 11, "referral": 12, "referral.delay": 13, "growth.start": 14, "growth.delay": 15, "migration": 16,
}
_COLUMNS = {"agent": (_AGENT, 29), "markov": ({"markov": 0, "migration": 1}, 2), "bgnbd": ({"bgnbd.purchases": 0, "bgnbd.dropout": 1, "bgnbd.spend": 2}, 3)}


class _BlockDraws:
    def __init__(self, month_rng, capacity, behaviour):
        self.month_rng = month_rng
        self.columns, width = _COLUMNS[behaviour]
        self._buffer = np.empty((capacity, width), dtype=np.float32)
        self.block = self._buffer[:0]

    def open(self, month, rows):
        self.block = self.month_rng(month).random(out=self._buffer[:rows], dtype=np.float32)

    def __call__(self, purpose, width=1):
        if purpose.startswith("growth_offer."):
            col = 17 + 3 * (int(purpose.split(".")[1]) % 4)
            return self.block[:, col : col + 3]
        return self.block[:, self.columns[purpose]]


class Market:
    """Customers, their scenario and the month's random numbers, advanced one month at a time."""

    def __init__(self, scenario: Scenario, customers: Customers, recorder: Recorder, month_rng: Callable[[int], Any], mode=None) -> None:
        self.scenario = scenario
        self.customers = customers
        self.recorder = recorder
        self.mode = mode or mode_for(scenario)
        self.draws = _BlockDraws(month_rng, customers.capacity, scenario.behaviour)
        self.month = -1
        self.discount = 1.0 / (1.0 + scenario.monthly_discount_rate)
        self.lost_referrals = 0
        mg = scenario.migration
        self.migration_spend = np.array([mg.segment_spend.get(s.name, mg.spend) for s in scenario.segments], dtype=float)  # segment x rung
        self.migrating = bool(self.migration_spend.any())

    def run(self, env: simpy.Environment) -> Generator[simpy.Event, Any, None]:
        """Advance all customers month by month until the horizon."""
        for t in range(self.scenario.horizon_months):
            if t > 0:
                self._close_month(t - 1)
            self._open_month(t)
            self.mode.step(self, env, t)
            yield env.timeout(1.0)
        self._close_month(self.scenario.horizon_months - 1)

    def _open_month(self, t: int) -> None:
        c = self.customers
        self.month = t
        self.draws.open(t, c.n)
        c.revenue[:] = 0.0
        c.month_purchases[:] = 0
        c.cost[:] = 0.0
        c.acquisition[:] = 0.0
        self.recorder.state(t, c)

    def _close_month(self, t: int) -> None:
        c = self.customers
        n = c.n
        gross_margin = self.scenario.firm.gross_margin if self.mode.books_revenue else 1.0
        margin = c.revenue[:n] * gross_margin - c.cost[:n] - c.acquisition[:n]
        c.clv[:n] += margin * self.discount**t
        active = (c.stage[:n] != Stage.DISSOLUTION) & (c.stage[:n] != Stage.AWARENESS)
        # Reviews judge ongoing profitability: the acquisition cost is sunk by then.
        c.window_margin[:n] += (margin + c.acquisition[:n]) * active
        c.window_cost[:n] += c.cost[:n] * active
        c.window_months[:n] += active
        self.recorder.flows(t, n, c.revenue[:n], c.cost[:n], c.acquisition[:n], margin, c.month_purchases[:n])

    def dissolve(self, idx: Any, cause: Cause, t: int | None = None) -> None:
        """End the relationships of customers `idx` (an index array, mask or int)."""
        c = self.customers
        c.stage[idx] = Stage.DISSOLUTION
        c.dissolved_month[idx] = self.month if t is None else t
        c.cause[idx] = cause

    def admit_referral(self, referrer: int) -> None:
        """A referred prospect from the pool enters the market (or is counted as lost if the pool is empty)."""
        c = self.customers
        c.referrals[referrer] += 1
        if c.n >= c.capacity:
            self.lost_referrals += 1
            return
        k = c.n
        c.n += 1
        c.entered[k] = self.month + 1  # first recorded next month
        c.referred_by[k] = referrer
