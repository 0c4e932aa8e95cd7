"""The market: one SimPy process that advances every customer by one month at a time.

The behaviour mode (:mod:`sim.engine.modes`) says what a month does; the
market opens each month (its draws, the start-of-month records), lets the
mode step every customer, and closes it (money, discounting, records).
Sparse episodes (growth offers, referrals) run as SimPy processes between
monthly steps and read and write the same customer arrays.
"""

from __future__ import annotations

from functools import cached_property
from typing import NamedTuple

import numpy as np

from sim.engine.design import LEVERS, SpendDesign
from sim.engine.episodes import Clock, Episode
from sim.engine.kernel.books import close_month, open_month
from sim.engine.kernel.params import params
from sim.engine.modes.base import Mode
from sim.engine.records import Recorder
from sim.engine.residual import StateChain
from sim.engine.state import Customers
from sim.engine.strategies import holdings
from sim.engine.streams import MonthDraws
from sim.scenario import Scenario
from sim.stages import INVESTMENT_KINDS, Cause, Stage

_NONE = np.zeros(0)  # no panel: the books keep no per-customer margin


def run_off_goes_on(alive: int, at_start: int, months: int, discount: float, tolerance: float) -> bool:
    """Whether a run-off `months` on still matters: those left, discounted to the horizon, are `tolerance` of those
    valued at the horizon or more (their margins to come are then about that share of the residual or less)."""
    return alive > 0 and alive * discount**months >= tolerance * at_start


class Market:
    """Customers, their scenario and the month's random numbers, advanced one month at a time."""

    def __init__(
        self,
        scenario: Scenario,
        customers: Customers,
        recorder: Recorder,
        draws: MonthDraws,
        mode: Mode,
        design: SpendDesign | None = None,
        design_index: np.ndarray | None = None,
        served_chance: np.ndarray | None = None,
        cohorts: Customers | None = None,
    ) -> None:
        self.scenario = scenario
        self.customers = customers
        self.recorder = recorder
        self.mode = mode
        self.draws = draws  # the month's uniforms by purpose
        self.month = -1
        self.discount = 1.0 / (1.0 + scenario.monthly_discount_rate)
        self.lost_referrals = 0
        self.cohorts = scenario.population.cohorts
        self.entrants = Customers.blank(0, 0) if cohorts is None else cohorts  # the cohorts' customers, by entry
        self.joined = 0  # entrants in the market so far
        self.reserved = sum(self.cohorts)  # places kept for the cohorts still to come
        self.entering = slice(0, 0)  # this month's cohort entrants
        self.open_to_entry = True  # newcomers (cohorts, referrals) may enter: not after the horizon
        mg = scenario.migration
        names = [s.name for s in scenario.segments]
        tables = {kind: getattr(scenario.investments, kind).table(names) for kind in INVESTMENT_KINDS}
        tables["direct"] = np.array([mg.segment_spend.get(name, mg.spend) for name in names], dtype=float)
        self.designed = 0  # identities 0..designed-1 spend their own rows (a designed experiment)
        if design is not None and design_index is not None:
            # Rows after the segments' hold each designed customer's own spend; referred newcomers spend the centre.
            self.designed = len(design_index)
            segment = np.concatenate([customers.segment[: customers.n], self.entrants.segment])
            own = design.spend(segment, design_index)
            tables = {kind: np.vstack([design.centre[:, :, k], own[:, :, k]]) for k, kind in enumerate(LEVERS)}
        self.migration_spend = tables.pop("direct")  # (segment | customer) x rung
        self.migrating = bool(self.migration_spend.any())
        self.investment_spend = {kind: t for kind, t in tables.items() if t.any()}  # (segment | customer) x rung
        # The portfolio the firm holds: customers outside it are let go as they arrive (here: before month 0).
        identities = customers.capacity + self.entrants.capacity
        self.holdings = holdings.Holdings(scenario, customers, draws, identities, served_chance)
        # The mode's pass closes the month before as it opens the next, unless the panel needs each margin first.
        self.closed_by_pass = mode.opens_months and not recorder.panel
        self.dissolve(self.holdings.let_go(np.arange(customers.n)), Cause.NOT_SERVED, 0)

    @cached_property
    def params(self) -> NamedTuple:
        """The scenario as compiled code reads it (the agent month, the growth decisions), built once."""
        return params(self.scenario)

    def spend_rows(self, idx: np.ndarray, seg: np.ndarray) -> np.ndarray:
        """Row of the spend tables for customers `idx` of segments `seg`: the segment, or its own row in a design."""
        if not self.designed:
            return seg
        who = self.customers.identity[idx]
        return np.where(who < self.designed, len(self.scenario.segments) + who, seg)

    def run(self, env: Clock) -> Episode:
        """Advance all customers month by month until the horizon, then value what they bring after it."""
        sc, c = self.scenario, self.customers
        by_state = sc.valuation.residual == "state"
        exact = by_state and self.mode.residual_in_closed_form
        chain = None
        if by_state and not exact:
            chain = StateChain(len(sc.segments), c.capacity, self.mode.revenue_from_wallet)
        if chain:
            chain.start(c, self._valued())
        for t in range(sc.horizon_months):
            if t > 0:
                self._close_month(t - 1)
            self._open_month(t)
            self.mode.step(self, env, t)
            yield env.timeout(1.0)
            if chain:  # the month's episodes have run: its flows and moves are complete
                chain.observe(c, self._valued(), self.closing(t)[0])
        self._close_month(sc.horizon_months - 1)
        if exact:
            c.residual[: c.n] = self.mode.expected_residual(self, self.discount, sc.horizon_months)
        elif chain:
            months = 12 * sc.valuation.max_years
            c.residual[: c.n] = chain.residual(c, self._valued(), self.discount, sc.horizon_months, months)
        elif sc.valuation.residual == "run_off":
            yield from self._run_off(env)

    def _valued(self) -> np.ndarray:
        """Which customers the mode values after the horizon, as they stand now (those in a relationship)."""
        return self.mode.valued_after_horizon(self.customers.stage[: self.customers.n])

    def _run_off(self, env: Clock) -> Episode:
        """Each customer's residual value: what it earns after the horizon, discounted to month 0.

        The customers the mode values after the horizon go on month by month under the same strategy and
        costs, with the same draws a longer run would give them, but nobody new enters (no cohorts, no
        referrals) and the others (prospects, in the agent model) leave; it stops once those left, discounted
        to the horizon, are fewer than ``valuation.tolerance`` of those valued (:func:`run_off_goes_on`), at
        most ``valuation.max_years`` on.  Then every customer's record goes back to the horizon, plus its residual.
        """
        c, sc = self.customers, self.scenario
        n, start = c.n, sc.horizon_months
        at_horizon, recorder, closed_by_pass = c.records[:n].copy(), self.recorder, self.closed_by_pass
        c.stage[:n][~self._valued()] = Stage.DISSOLUTION
        end, valued = start + 12 * sc.valuation.max_years, int((c.stage[:n] != Stage.DISSOLUTION).sum())
        self.recorder = Recorder(end, c.capacity, panel=False, segments=len(sc.segments))  # scratch: not reported
        self.closed_by_pass = False  # each month closed by itself: the horizon's last month already is
        self.open_to_entry = False
        for t in range(start, end):
            alive = int((c.stage[:n] != Stage.DISSOLUTION).sum())
            if not run_off_goes_on(alive, valued, t - start, self.discount, sc.valuation.tolerance):
                break
            self._open_month(t)
            self.mode.step(self, env, t)
            yield env.timeout(1.0)
            self._close_month(t)
        residual = c.clv[:n] - at_horizon["clv"]
        c.records[:n] = at_horizon
        c.residual[:n] = residual
        self.recorder, self.closed_by_pass, self.open_to_entry = recorder, closed_by_pass, True

    def _open_month(self, t: int) -> None:
        c = self.customers
        self.month = t
        self._admit_cohort(self.cohorts[t] if t < len(self.cohorts) else 0, t)
        self.draws.open(t, c.identity[: c.n])
        rec = self.recorder
        if not self.mode.opens_months:
            open_month(c.records, c.n, rec.occupancy(t))
        rec.state(t, c)

    def _admit_cohort(self, size: int, t: int) -> None:
        """This month's cohort (maybe none) takes the next free places, as prospects about to try (`entering`)."""
        c = self.customers
        self.entering = slice(c.n, c.n + size)
        if not size:  # most months, and every month after the horizon
            return
        c.take(self.entering.stop)  # the pool's rows stay in step: a referral after them meets its own customer
        c.place(self.entering, self.entrants, slice(self.joined, self.joined + size))
        self.mode.admit(self, self.entering)
        self.joined += size
        c.entered[self.entering] = t
        c.n += size
        self.reserved -= size
        self.dissolve(self.holdings.let_go(np.arange(self.entering.start, self.entering.stop)), Cause.NOT_SERVED, t)

    def closing(self, t: int) -> tuple[float, float, np.ndarray]:
        """What closing month t takes: the gross margin on revenue, the discount weight and the month's totals."""
        gross_margin = self.scenario.firm.gross_margin if self.mode.books_revenue else 1.0
        return gross_margin, self.discount**t, self.recorder.totals[t]

    def _close_month(self, t: int) -> None:
        c, rec = self.customers, self.recorder
        if not self.closed_by_pass or t == self.scenario.horizon_months - 1:
            close_month(c.records, c.n, *self.closing(t), rec.margin[rec.row(t)] if rec.panel else _NONE)
        rec.flows(t, c)

    def dissolve(self, idx: np.ndarray | int, cause: Cause, t: int | None = None) -> None:
        """End the relationships of customers `idx` (an index array, mask or int)."""
        c = self.customers
        c.stage[idx] = Stage.DISSOLUTION
        c.dissolved_month[idx] = self.month if t is None else t
        c.cause[idx] = cause

    def admit_referral(self, referrer: int) -> None:
        """A referred prospect from the pool enters the market next month (or is counted as lost if the pool is empty).

        A referral made in the last month would enter after the horizon: it counts for its referrer, but no
        customer enters, so every table counts the same customers.
        """
        c = self.customers
        c.referrals[referrer] += 1
        if self.month + 1 >= self.scenario.horizon_months:
            return
        if c.n >= c.capacity - self.reserved:
            self.lost_referrals += 1
            return
        k = c.n
        c.take(k + 1)
        c.n += 1
        c.entered[k] = self.month + 1  # first recorded next month
        c.referred_by[k] = referrer
