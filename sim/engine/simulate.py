"""Run one replication of a scenario: population, market process, episodes, records."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from sim.engine.design import SpendDesign
from sim.engine.episodes import Clock
from sim.engine.market import Market
from sim.engine.modes import mode_for
from sim.engine.population import draw_cohorts, draw_population
from sim.engine.records import Recorder
from sim.engine.state import Customers
from sim.engine.streams import MonthDraws, Purpose, stream
from sim.scenario import Scenario


@dataclass
class Replication:
    """Everything one replication produced (arrays; :mod:`sim.results.tables` turns them into tables)."""

    replication: int
    seed: int
    customers: Customers
    recorder: Recorder
    lost_referrals: int
    unmodelled: frozenset[str] = frozenset()  # KPIs the behaviour mode does not model (left out of its row)
    design_index: np.ndarray | None = None  # each designed customer's level per (rung, type), with a design


def simulate(
    scenario: Scenario,
    replication: int = 0,
    seed: int | None = None,
    design: SpendDesign | None = None,
    served: np.ndarray | None = None,
    sink: Any = None,
) -> Replication:
    """Simulate one replication of `scenario` with root `seed` (default: the scenario's).

    With a `design`, each customer who comes by itself (at month 0 or in a cohort) spends its own drawn levels
    (a designed experiment).
    With `served`, initial customer i is in the firm's portfolio with chance served[i] (a per-customer holding).
    With a `sink`, the customer-month panel is handed to it month by month instead of kept (sim.results.stream).
    """
    seed = scenario.seed if seed is None else seed
    who = 0 if scenario.population.fixed else replication
    mode = mode_for(scenario)
    customers = draw_population(scenario, stream(seed, who, Purpose.POPULATION), mode)
    cohorts = draw_cohorts(scenario, stream(seed, who, Purpose.POPULATION, name="cohorts"))
    recorder = Recorder(
        scenario.horizon_months, customers.capacity, scenario.record == "customers", len(scenario.segments), sink
    )
    # Designed customers: those who come by themselves, at month 0 or in a cohort, in order of identity.
    segment = np.concatenate([customers.segment[: customers.n], cohorts.segment])
    index = None if design is None else design.assign(segment, seed, replication)
    draws = MonthDraws(seed, replication)
    market = Market(scenario, customers, recorder, draws, mode, design, index, served, cohorts)
    mode.prepare(market, stream(seed, who, Purpose.TRAITS))
    clock = Clock()
    clock.run_until_done(market.run(clock))  # ends the episodes under way at the horizon, freeing the market
    customers.pool = None  # no place is taken now, and the results carry no generator
    if sink is not None:
        sink.close()
    return Replication(replication, seed, customers, recorder, market.lost_referrals, mode.unmodelled_kpis, index)
