"""Run one replication of a scenario: population, market process, episodes, records."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import simpy

from sim.market import Market
from sim.population import Customers, draw_population
from sim.records import Recorder
from sim.scenario import Scenario


class Purpose(IntEnum):
    """Independent random streams of one replication, one per purpose."""

    POPULATION = 0
    MONTHLY = 1
    TRAITS = 2  # purchase rate, dropout and spend rate of buy-till-you-die customers


def stream(seed: int, replication: int, purpose: Purpose, month: int | None = None) -> np.random.Generator:
    """The generator for one purpose of one replication (and month): random access, no shared state.

    Replication r uses ``SeedSequence(seed).spawn(...)[r]``'s key, so any
    replication can be rerun alone and parallel runs match serial ones.
    """
    key = (replication, int(purpose)) if month is None else (replication, int(purpose), month)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


@dataclass
class Replication:
    """Everything one replication produced (arrays; :mod:`sim.results` turns them into tables)."""

    replication: int
    seed: int
    customers: Customers
    book: Recorder
    lost_referrals: int


def simulate(scenario: Scenario, replication: int = 0, seed: int | None = None) -> Replication:
    """Simulate one replication of `scenario` with root `seed` (default: the scenario's)."""
    seed = scenario.seed if seed is None else seed
    who = 0 if scenario.population.fixed else replication
    customers = draw_population(scenario, stream(seed, who, Purpose.POPULATION))
    book = Recorder(scenario.horizon_months, customers.capacity, panel=scenario.record == "customers")
    market = Market(scenario, customers, book, lambda t: stream(seed, replication, Purpose.MONTHLY, t))
    if scenario.behaviour == "bgnbd":
        market.draw_traits(stream(seed, who, Purpose.TRAITS))
    env = simpy.Environment()
    env.run(until=env.process(market.run(env)))
    return Replication(replication, seed, customers, book, market.lost_referrals)
