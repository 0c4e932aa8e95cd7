"""Portfolio holdings as a policy: the firm serves a chosen share of each segment (or chosen customers).

The mean-variance portfolio (:mod:`optimize.portfolio`) says how many of the
customers present at month 0 to hold in each segment; here the simulated firm
acts on it.  Each initial customer draws one uniform from a stream of its own
and is served when the uniform falls below its chance (its segment's
``served`` share, or a per-customer holding); the others are let go before
month 0.  Newcomers arrive only through the referrals of customers the firm
serves, and it takes them on, so the value of holding a customer is its
referral tree's (:func:`sim.results.referrals.tree_values`).  The draw is the
same whatever the shares: two policies on the same seeds differ only in whom
they serve (common random numbers), and a larger share serves everyone a
smaller one serves.
"""

from __future__ import annotations

import numpy as np

from sim.engine.state import Customers
from sim.engine.streams import MonthDraws, Purpose, stream
from sim.scenario import Scenario


def let_go(scenario: Scenario, customers: Customers, draws: MonthDraws, chance: np.ndarray | None = None) -> np.ndarray:
    """The initial customers the firm does not serve (`chance` overrides the segment shares per customer)."""
    n = customers.n
    if chance is None:
        share = np.array([s.served for s in scenario.segments])
        if (share >= 1.0).all():
            return np.zeros(0, dtype=np.int64)
        chance = share[customers.segment[:n]]
    u = stream(draws.seed, draws.replication, Purpose.SERVED).random(n)
    return np.flatnonzero(u >= chance)
