"""Portfolio holdings as a policy: the firm serves a chosen share of each segment (or chosen customers).

The mean-variance portfolio (:mod:`optimize.portfolio`) says how many of a
segment's customers to hold; here the simulated firm acts on it.  Every place
in the market draws one uniform from a stream of its own and is served when
the uniform falls below its chance (its segment's ``served`` share, or a
per-customer holding); the others are let go as they arrive: before month 0,
or in their cohort's month.  Newcomers referred by served customers are taken
on, so the value of holding a customer is its referral tree's
(:func:`sim.results.referrals.tree_values`).  The draw is the same whatever
the shares: two policies on the same seeds differ only in whom they serve
(common random numbers), and a larger share serves everyone a smaller one
serves.
"""

from __future__ import annotations

import numpy as np

from sim.engine.state import Customers
from sim.engine.streams import MonthDraws, Purpose, stream
from sim.scenario import Scenario


class Holdings:
    """Whom the firm serves: a chance per customer and a uniform per identity (None: it serves everyone)."""

    def __init__(
        self,
        scenario: Scenario,
        customers: Customers,
        draws: MonthDraws,
        identities: int,
        chance: np.ndarray | None = None,
    ) -> None:
        self.share = np.array([s.served for s in scenario.segments])
        self.customers = customers
        self.chance = chance  # per-customer holdings for the customers present at month 0
        self.everyone = chance is None and bool((self.share >= 1.0).all())
        if not self.everyone:
            # One uniform per identity, the cohorts' entrants' too.
            self.u = stream(draws.seed, draws.replication, Purpose.SERVED).random(identities)

    def let_go(self, places: np.ndarray) -> np.ndarray:
        """The places among `places` (arriving now) that the firm does not serve."""
        if self.everyone:
            return places[:0]
        c = self.customers
        who = c.identity[places]
        chance = self.share[c.segment[places]]
        if self.chance is not None:
            mine = who < len(self.chance)
            chance[mine] = self.chance[who[mine]]
        return places[self.u[who] >= chance]
