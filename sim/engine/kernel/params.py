"""The scenario as the compiled kernel reads it: named tuples of numbers and arrays, built once per replication.

numba compiles attribute access on named tuples, so the kernel's mechanisms
read ``p.dissolution.base_hazard`` just as the pure formulas in
:mod:`sim.engine.mechanisms` read the scenario's models; the tuple types are
made once per field list, so every replication reuses the compiled kernel.
"""

from __future__ import annotations

import zlib
from collections import namedtuple
from functools import cache
from typing import Any, NamedTuple

import numpy as np

from sim.engine.mechanisms.growth import offer_rate
from sim.engine.view import MarketView
from sim.scenario import SECTIONS, Scenario
from sim.stages import INVESTMENT_KINDS

# The sections compiled as flat records: the mechanisms' parameters, and what else the pass reads whole.
_SECTIONS = (*SECTIONS["behaviour"], "firm", "migration", "portfolio_policy")
_STAGED = {  # per-stage effects and their neutral value for awareness and dissolution
    "purchase_factor": 1.0,
    "basket_factor": 1.0,
    "failure_sensitivity": 1.0,
    "switch_shift": 0.0,
    "hazard_factor": 1.0,
    "growth_acceptance_shift": 0.0,
}


@cache
def _tuple_type(name: str, fields: tuple[str, ...]) -> type:
    """A named tuple type, made once per field list and findable by name in this module.

    numba keys its disk cache on argument types, and it finds a named tuple's
    type by module and name; a type made afresh by every process would never
    match the cache.
    """
    qualname = f"{name}_{zlib.crc32(' '.join(fields).encode()):08x}"
    made = namedtuple(qualname, fields, module=__name__)
    globals()[qualname] = made
    return made


def record(name: str, values: dict[str, Any]) -> tuple:
    """A named tuple of the numbers in `values` (lists become tuples of floats; text and tables are left out)."""
    kept = {}
    for key, value in values.items():
        if isinstance(value, bool | int | float):
            kept[key] = value
        elif isinstance(value, list) and all(isinstance(v, int | float) for v in value):
            kept[key] = tuple(float(v) for v in value)  # a tuple, not an array: no reference counting per read
    return _tuple_type(name, tuple(kept))(**kept)


class Spend(NamedTuple):
    """How the market spends per customer-month (numbers only: the tables travel apart, see :func:`spend_tables`)."""

    investing: tuple[bool, bool, bool]  # the investment types in use, in INVESTMENT_KINDS order
    effect: tuple[float, float, float]  # how much a unit of saturated spend builds each bond
    scale: tuple[float, float, float]  # spend at which each bond's response saturates
    decay: tuple[float, float, float]  # monthly fade of each bond
    migrating: bool
    designed: int  # identities below this spend their own row (a designed experiment)
    segments: int


def params(scenario: Scenario) -> tuple:
    """The scenario's parameters as the kernel reads them (``p.<section>.<field>``, ``p.posture``, ``p.staged``)."""
    sc = scenario
    sections = {name: record(name, getattr(sc, name).model_dump()) for name in _SECTIONS}
    sections["firm"] = record("firm", sc.firm.model_dump(exclude={"capacity"}))  # one type, capacity set or not
    for name in ("foot_in_the_door", "all_at_once"):  # the growth offers' decisions (sim.engine.strategies.growth)
        sections[name] = record(name, getattr(sc.account_growth, name).model_dump())
    staged = record("staged", {k: sc.stages.effect(k, neutral).tolist() for k, neutral in _STAGED.items()})
    derived = {
        "closeness": float(np.clip(sc.posture.closeness + sc.offering.closeness_shift, 0.0, 1.0)),
        # Per segment: arrays, whose type does not depend on how many segments there are (a tuple's does, and
        # every new count of segments would compile the kernel again, about 25 s).
        "acquisition_cost": np.array([s.acquisition_cost for s in sc.segments], dtype=float),
        "event_rate": np.array([s.event_rate for s in sc.segments], dtype=float),
        "capacity": float("inf") if sc.firm.capacity is None else float(sc.firm.capacity),
        "event_oriented": sc.strategy.prospecting == "event_oriented",
        "yield_managed": sc.strategy.pricing == "yield_management",
        "growth_rate": offer_rate(sc),
    }
    values = {
        **sections,
        "posture": record("posture", sc.posture.model_dump()),
        "offering": record("offering", sc.offering.model_dump()),
        "staged": staged,
        **derived,
    }
    return _tuple_type("Params", tuple(values))(**values)


def spend(market: MarketView) -> Spend:
    """The market's spending, as numbers the kernel reads (tuples: no reference counting per customer)."""
    inv = market.scenario.investments
    return Spend(
        investing=tuple(kind in market.investment_spend for kind in INVESTMENT_KINDS),
        effect=tuple(float(getattr(inv, k).effect) for k in INVESTMENT_KINDS),
        scale=tuple(float(getattr(inv, k).scale) for k in INVESTMENT_KINDS),
        decay=tuple(float(getattr(inv, k).decay) for k in INVESTMENT_KINDS),
        migrating=bool(market.migrating),
        designed=int(market.designed),
        segments=len(market.scenario.segments),
    )


def spend_tables(market: MarketView) -> tuple[np.ndarray, np.ndarray]:
    """Spend per customer-month by spend row and rung: investments (types x rows x rungs) and direct migration."""
    rows, rungs = market.migration_spend.shape
    investment = np.zeros((len(INVESTMENT_KINDS), rows, rungs))
    for k, kind in enumerate(INVESTMENT_KINDS):
        if kind in market.investment_spend:
            investment[k] = market.investment_spend[kind]
    return investment, np.ascontiguousarray(market.migration_spend, dtype=float)
