"""The compiled agent month (numba): one pass over the customers per month, mechanisms called in order.

:func:`sim.engine.kernel.agent.month` is the loop; this module hands it the
customer records, the scenario's parameters and the month's keys of the same
named streams every other part of the engine draws from
(:mod:`sim.engine.streams`): each mechanism computes its uniform for a customer
only when it needs one.  Compiled code is cached on disk beside the
package (numba's ``cache=True``), so only the first run after an install
pays for compilation.
"""

from __future__ import annotations

import numpy as np

from sim.engine.kernel.agent import STREAMS, month
from sim.engine.kernel.params import spend, spend_tables
from sim.engine.view import MarketView


class Kernel:
    """The compiled month for one replication's market: spend tables gathered once (parameters: market.params)."""

    def __init__(self, market: MarketView) -> None:
        tables, migration = spend_tables(market)
        self.spending = (spend(market), tables, migration)  # what each lever spends, one argument of the compiled month
        capacity = market.customers.capacity
        self.found = (np.empty(capacity, dtype=np.int64), np.empty(capacity, dtype=np.int64), np.zeros(2, np.int64))

    def month(self, market: MarketView, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Run month t's pass (acquisition to trust drift), record what it spent and whom it counted.

        Returns the customers it found referring and those who may start a growth episode (growth.candidate).
        """
        c, rec = market.customers, market.recorder
        u = market.draws.keys(STREAMS)
        span = (c.n, market.entering.start, market.entering.stop)
        closing = market.closed_by_pass and t > 0  # the books of month t - 1 (month 0 has none before it)
        counts = (rec.relationships[t], rec.ladder[t], rec.occupancy(t), self.found)
        books_of = (closing, *market.closing(max(t - 1, 0)))
        rec.invested[t] += month(c.records, span, t, market.params, self.spending, u, counts, books_of)
        referring, candidates, counts = self.found
        return referring[: counts[0]].copy(), candidates[: counts[1]].copy()
