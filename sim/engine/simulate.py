"""Run one replication of a scenario: population, market process, episodes, records."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import simpy

from sim.engine.design import SpendDesign
from sim.engine.market import Market
from sim.engine.modes import mode_for
from sim.engine.population import draw_population
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
) -> Replication:
    """Simulate one replication of `scenario` with root `seed` (default: the scenario's).

    With a `design`, each customer of the initial population spends its own drawn levels (a designed experiment).
    With `served`, initial customer i is in the firm's portfolio with chance served[i] (a per-customer holding).
    """
    seed = scenario.seed if seed is None else seed
    who = 0 if scenario.population.fixed else replication
    mode = mode_for(scenario)
    customers = draw_population(scenario, stream(seed, who, Purpose.POPULATION), mode)
    recorder = Recorder(
        scenario.horizon_months, customers.capacity, scenario.record == "customers", len(scenario.segments)
    )
    index = None if design is None else design.assign(customers.segment[: customers.n], seed, replication)
    draws = MonthDraws(seed, replication, customers.capacity)
    market = Market(scenario, customers, recorder, draws, mode, design, index, served)
    mode.prepare(market, stream(seed, who, Purpose.TRAITS))
    env = simpy.Environment()
    env.run(until=env.process(market.run(env)))
    return Replication(replication, seed, customers, recorder, market.lost_referrals, mode.unmodelled_kpis, index)
