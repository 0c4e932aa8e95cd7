"""Markov mode: customers move between rungs by a measured monthly transition matrix, and earn a margin per rung.

The closed-form Markov-chain CLV (Pfeifer and Carraway 2000, :func:`optimize.clv.markov_clv`)
is the known answer the tests hold this mode to.  A customer's stage follows from its rung.
"""

from __future__ import annotations

import numpy as np

from sim.engine.episodes import Clock
from sim.engine.mechanisms.ladder import migrate
from sim.engine.modes.base import BEHAVIOURAL_KPIS, BEHAVIOURAL_LEVERS, Mode
from sim.engine.view import MarketView
from sim.scenario import Scenario
from sim.stages import MARKOV_STAGE_OF_RUNG, Cause, Stage


class Markov(Mode):
    """Measured rung-to-rung transitions (``[markov]``), with migration spend on top."""

    name = "markov"
    books_revenue = False  # margins per rung are already net
    unmodelled_kpis = BEHAVIOURAL_KPIS | {"acquired", "acquisition_cost", "time_to_commitment", "reached_commitment"}
    ignores = BEHAVIOURAL_LEVERS + (
        "firm",
        "segments[*].acquisition_cost",
        "segments[*].buy_till_you_die",
        "segments[*].discrete_time",
    )

    def __init__(self, scenario: Scenario) -> None:
        super().__init__(scenario)
        m = np.asarray(scenario.markov.transitions, dtype=float)
        if m.shape[1] == m.shape[0]:
            m = np.hstack([m, np.zeros((m.shape[0], 1))])
        self.cumulative = np.cumsum(m, axis=1)
        self.cumulative[:, -1] = 1.0
        self.margins = np.asarray(scenario.markov.margins)
        self.stage_of_rung = np.asarray(MARKOV_STAGE_OF_RUNG, dtype=np.int8)

    def initial_stages(self, stage: np.ndarray, rung: np.ndarray) -> np.ndarray:
        """Only rungs are measured: the stage is the one the rung implies."""
        return self.stage_of_rung[rung]

    def step(self, market: MarketView, env: Clock, t: int) -> None:
        """Each customer earns its rung's margin, then moves by the matrix (or up a rung, bought by migration spend)."""
        c, n = market.customers, market.customers.n
        alive = c.stage[:n] != Stage.DISSOLUTION
        rung = c.rung[:n]
        c.revenue[:n] = np.where(alive, self.margins[rung], 0.0)
        nxt = (market.draws("markov")[:, None] > self.cumulative[rung]).sum(axis=1)
        if market.migrating:
            # A customer the spend moves up takes that step this month instead of the matrix's.
            ia = np.flatnonzero(alive)
            moved = np.zeros(n, dtype=bool)
            moved[ia] = migrate(market, ia, rung[ia], market.draws.at("migration", ia))
            nxt = np.where(moved, np.minimum(rung + 1, len(self.margins) - 1), nxt)
        out = alive & (nxt == self.cumulative.shape[1] - 1)
        stay = alive & ~out
        c.rung[:n] = np.where(stay, nxt, rung)
        c.stage[:n] = np.where(stay, self.stage_of_rung[c.rung[:n]], c.stage[:n])
        market.dissolve(np.flatnonzero(out), Cause.MARKOV, t)
