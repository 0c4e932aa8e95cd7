"""What the mechanisms after the compiled pass share: the market, the month, its draws and SimPy's clock.

The portfolio review, referrals and growth offers run in numpy and SimPy
after the compiled month (:mod:`sim.engine.kernel`): the review ranks
customers against each other, and referrals and offers start SimPy processes.
"""

from __future__ import annotations

import numpy as np

from sim.engine.episodes import Clock
from sim.engine.view import MarketView


class Month:
    """One month of the agent model, as the mechanisms after the compiled pass see it.

    `referring` and `candidates` are the customers the pass found referring and
    who may start a growth episode (sim.engine.mechanisms.growth.candidate), in place order.
    """

    def __init__(self, market: MarketView, env: Clock, t: int, referring: np.ndarray, candidates: np.ndarray) -> None:
        self.market, self.env, self.t = market, env, t
        self.scenario, self.customers, self.draws = market.scenario, market.customers, market.draws
        self.n = self.customers.n
        self.referring, self.candidates = referring, candidates
