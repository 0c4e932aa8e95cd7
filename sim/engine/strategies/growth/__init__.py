"""Account-growth strategies (CR lecture notes), one module each: ``strategy.account_growth = "<module>"``.

A growth module defines ``start(env, market, cohort) -> Process``: the
episode that takes a monthly cohort of customers through its offers.  Adding
a strategy is adding a module here (plus its parameters in the scenario
schema); the registry below finds it.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable

import numpy as np

from sim.engine.episodes import Clock, Process
from sim.engine.mechanisms.growth import offer_rate, starters
from sim.engine.mechanisms.month import Month
from sim.engine.view import MarketView

Start = Callable[[Clock, MarketView, np.ndarray], Process]

_HELPERS = {"offers"}  # modules shared by the strategies, not strategies themselves

GROWTH: dict[str, Start] = {
    info.name: importlib.import_module(f"{__name__}.{info.name}").start
    for info in pkgutil.iter_modules(__path__)
    if info.name not in _HELPERS
}


def step(m: Month) -> None:
    """Customers in a relationship with products left to buy and no episode under way start one.

    At the offer rate; under event-oriented prospecting the CIF's flagged customers first (see `starters`).
    """
    sc, c = m.scenario, m.customers
    growth = sc.strategy.account_growth
    if growth == "none":
        return
    flagged = sc.strategy.prospecting == "event_oriented"
    key = m.draws.key("growth.start")
    starts = starters(c.records, m.candidates, offer_rate(sc), sc.firm.max_products, key, flagged)
    if len(starts):
        c.in_episode[starts] = True  # until the customer's episode ends
        GROWTH[growth](m.env, m.market, starts)
