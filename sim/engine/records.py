"""What a replication records: preallocated arrays, turned into tables once at the end."""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.engine.state import Customers
from sim.stages import N_RUNGS, N_STAGES

PANEL_STATE = ("stage", "rung", "trust", "satisfaction", "share_of_wallet")
PANEL_FLOWS = ("purchases", "revenue", "cost_to_serve", "margin")


class Recorder:
    """Month-by-month records of one replication.

    State columns hold the state at the start of the month (the state that
    earned that month's money); flow columns hold the month's money.  With
    ``panel=False`` only occupancy and totals are kept (for huge runs).
    """

    def __init__(self, horizon: int, capacity: int, panel: bool, segments: int = 1, sink: Any = None) -> None:
        self.horizon = horizon
        # With a sink, the panel is handed over month by month (sink.month(t, segment, entered, columns),
        # then sink.close(); sim.results.stream writes it to Parquet) and only the current month is kept.
        self.sink = sink
        # Who spend reaches, by month, segment and rung: investments reach customers in a relationship,
        # direct migration spend everyone on the ladder (prospects too).
        self.relationships = np.zeros((horizon, segments, N_RUNGS), dtype=np.int64)
        self.ladder = np.zeros((horizon, segments, N_RUNGS), dtype=np.int64)
        self.invested = np.zeros(horizon)  # relationship investment spend
        self.stage_counts = np.zeros((horizon, N_STAGES), dtype=np.int64)
        self.rung_counts = np.zeros((horizon, N_RUNGS), dtype=np.int64)
        self.active_rung_counts = np.zeros((horizon, N_RUNGS), dtype=np.int64)  # not dissolved
        self.totals = np.zeros((horizon, 5))  # revenue, cost to serve, acquisition, margin, purchases
        self.panel = panel
        if panel:
            shape = (1 if sink is not None else horizon, capacity)
            self.stage = np.zeros(shape, dtype=np.int8)
            self.rung = np.zeros(shape, dtype=np.int8)
            self.trust = np.zeros(shape, dtype=np.float32)
            self.satisfaction = np.zeros(shape, dtype=np.float32)
            self.share_of_wallet = np.zeros(shape, dtype=np.float32)
            self.purchases = np.zeros(shape, dtype=np.int16)
            self.revenue = np.zeros(shape, dtype=np.float32)
            self.cost_to_serve = np.zeros(shape, dtype=np.float32)
            self.margin = np.zeros(shape, dtype=np.float32)

    @staticmethod
    def count(table: np.ndarray, t: int, segment: np.ndarray, rung: np.ndarray) -> None:
        """Count customers by segment and rung into month t of `table` (months x segments x rungs)."""
        month = table[t]
        month[:] = np.bincount(segment.astype(np.int64) * month.shape[1] + rung, minlength=month.size).reshape(
            month.shape
        )

    def occupancy(self, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Month t's counts by stage, by rung and by rung of those not dissolved (filled by the books)."""
        return self.stage_counts[t], self.rung_counts[t], self.active_rung_counts[t]

    def row(self, t: int) -> int:
        """Where month t is kept in the panel arrays (0 when the panel streams: one month at a time)."""
        return 0 if self.sink is not None else t

    def state(self, t: int, c: Customers) -> None:
        """Record the start-of-month state of the customers in the market (counts: sim.engine.kernel.books)."""
        if self.panel:
            n, r = c.n, self.row(t)
            self.stage[r, :n] = c.stage[:n]
            self.rung[r, :n] = c.rung[:n]
            self.trust[r, :n] = c.trust(slice(0, n))
            self.satisfaction[r, :n] = c.satisfaction[:n]
            self.share_of_wallet[r, :n] = c.share_of_wallet[:n]

    def flows(self, t: int, c: Customers) -> None:
        """Record the month's purchases and money per customer (totals and margins: sim.engine.kernel.books)."""
        if self.panel:
            n, r = c.n, self.row(t)
            self.purchases[r, :n] = c.month_purchases[:n]
            self.revenue[r, :n] = c.revenue[:n]
            self.cost_to_serve[r, :n] = c.cost[:n]
            if self.sink is not None:
                columns = {name: getattr(self, name)[0, :n] for name in PANEL_STATE + PANEL_FLOWS}
                self.sink.month(t, c.segment[:n], c.entered[:n], columns)
