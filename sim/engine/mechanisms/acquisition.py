"""Acquisition: a prospect tries a product (a trial purchase) and becomes a customer in exploration."""

from __future__ import annotations

import numpy as np

from sim.engine.mechanisms.month import Month
from sim.stages import EXPLORATION


def step(m: Month) -> None:
    """Prospects try at the trial rate times their rung's purchase chance; the acquisition cost is paid.

    A cohort entering this month (``population.cohorts``) tries for certain: it is acquired at its first purchase.
    """
    c, sc, t = m.customers, m.scenario, m.t
    rung = c.rung[: m.n]
    chance = sc.stages.trial_rate * np.asarray(sc.purchasing.purchase_probability)[rung]
    m.trial = m.prospect & (m.draws("purchase") < chance)
    m.trial[m.market.entering] = m.prospect[m.market.entering]  # unless the portfolio let them go
    new = np.flatnonzero(m.trial)
    c.stage[new] = EXPLORATION
    c.acquired_month[new] = t
    c.products[new] = np.maximum(c.products[new], 1)
    c.acquisition[new] += np.array([s.acquisition_cost for s in sc.segments])[c.segment[new]]
