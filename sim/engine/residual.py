"""The state-based residual value: a Markov chain over customer states, estimated from the run, valued in closed form.

The run-off (``Market._run_off``) is the reference: it plays every customer
in a relationship on past the horizon.  This is its approximation.  Each
customer-month of the run that starts in a relationship is one observed move
from the customer's state at the month's start to its state at the month's
end (out of a relationship is absorbing), and one month's margin.  A state is
the segment, stage and rung, with three things measurement showed a customer's
future turns on (bench/valuation.py): the products it holds, its share of
wallet (in tenths) and its affective commitment (in fifths).  On the baseline
at 60 months a chain on (segment, stage, rung) alone valued the customers at
0.37-0.43 of the run-off; each of the three added 0.2-0.3.

The moves' frequencies are the chain's transition matrix P.  In the agent model revenue scales
with a customer's own wallet, which never changes, so the chain's rewards are
the mean gross margin per unit of wallet and the mean cost by state; a
customer's residual is its wallet times the first value less the second,
``V = sum_j (P/(1+i))^j m`` over the run-off's cap (:func:`optimize.clv.markov_clv`),
of its state at the horizon, discounted to month 0.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

from optimize.clv import markov_clv
from sim.engine.state import Customers
from sim.stages import N_RUNGS, N_STAGES

BINS = 5  # products held (1 to 5+), share of wallet (tenths, 0.4 and over), affective commitment (fifths)


class StateChain:
    """The moves and margins of the run's customers by state, gathered at the end of each month."""

    def __init__(self, segments: int, capacity: int, by_wallet: bool) -> None:
        self.by_wallet = by_wallet  # revenue scales with each customer's wallet (else: taken as 1)
        self.states = segments * N_STAGES * N_RUNGS * BINS**3
        self.moves = sparse.csr_matrix((self.states, self.states + 1))  # [from, to]; the last `to` is out
        self.revenue = np.zeros(self.states)  # gross margin on revenue per unit of wallet, summed by state
        self.costs = np.zeros(self.states)
        self.before = np.full(capacity, -1, dtype=np.int64)  # each place's state at the month's start (-1: none)

    def states_of(self, c: Customers, valued: np.ndarray) -> np.ndarray:
        """Each customer's state index, or -1 out of a relationship (`valued`: those the mode values)."""
        n = c.n
        index = (c.segment[:n].astype(np.int64) * N_STAGES + c.stage[:n]) * N_RUNGS + c.rung[:n]
        for level in (c.products[:n] - 1, c.share_of_wallet[:n] * 10, c.affective[:n] * BINS):
            index = index * BINS + np.clip(level, 0, BINS - 1).astype(np.int64)
        return np.where(valued, index, -1)

    def start(self, c: Customers, valued: np.ndarray) -> None:
        """The customers' states as the run begins."""
        self.before[: c.n] = self.states_of(c, valued)

    def observe(self, c: Customers, valued: np.ndarray, gross_margin: float) -> None:
        """Month just ended: each customer in a relationship at its start moved from its state then to its state now.

        Its margin is the month's close's (revenue at the gross margin, less costs), split into revenue per unit of
        wallet and costs.
        """
        n = c.n
        after, before = self.states_of(c, valued), self.before[:n]
        seen = before >= 0
        frm, to = before[seen], after[seen]
        to = np.where(to >= 0, to, self.states)
        shape = self.moves.shape
        self.moves = self.moves + sparse.csr_matrix((np.ones(len(frm)), (frm, to)), shape=shape)
        earned = c.revenue[:n] * gross_margin / self._wallet(c)
        self.revenue += np.bincount(frm, weights=earned[seen], minlength=self.states)
        self.costs += np.bincount(frm, weights=(c.cost[:n] + c.acquisition[:n])[seen], minlength=self.states)
        self.before[:n] = after

    def _wallet(self, c: Customers) -> np.ndarray | float:
        return np.maximum(c.wallet[: c.n], 1e-12) if self.by_wallet else 1.0

    def values(self, rate: float, months: int) -> tuple[np.ndarray, np.ndarray]:
        """Expected discounted margin over `months` from a month's start, by state: (per unit of wallet, cost).

        A customer's value is its wallet times the first less the second (0 for a state never seen).
        """
        seen = np.asarray(self.moves.sum(axis=1)).ravel()
        share = sparse.diags(np.divide(1.0, seen, out=np.zeros_like(seen), where=seen > 0)) @ self.moves
        mean = (np.divide(x, seen, out=np.zeros_like(x), where=seen > 0) for x in (self.revenue, self.costs))
        return tuple(markov_clv(share, m, rate, horizon=months) for m in mean)

    def residual(self, c: Customers, valued: np.ndarray, discount: float, horizon: int, months: int) -> np.ndarray:
        """Each customer's residual: the value over `months` of its state at the horizon, discounted to month 0.

        0 for a customer the mode does not value after the horizon.  `months` caps the chain as the run-off is
        capped (valuation.max_years), so a zero discount rate ends.
        """
        state = self.states_of(c, valued)
        per_wallet, cost = self.values(1.0 / discount - 1.0, months)
        at = np.maximum(state, 0)
        value = self._wallet(c) * per_wallet[at] - cost[at]
        return np.where(state >= 0, value, 0.0) * discount**horizon
