"""crmsim's simulation package: customers moving through relationship stages and the loyalty ladder.

Public API (imported lazily so that pure modules such as :mod:`sim.clv` load
without SimPy)::

    from sim import load_scenario, run
    results = run(load_scenario("scenarios/baseline.toml"))
    results.summary()
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

__version__ = "0.1.0"

_API = {
    "Scenario": "sim.scenario",
    "ScenarioError": "sim.scenario",
    "load_scenario": "sim.scenario",
    "build_scenario": "sim.scenario",
    "simulate": "sim.engine",
    "run": "sim.experiment",
    "Results": "sim.results",
    "summarize": "sim.results",
    "Stage": "sim.stages",
    "Rung": "sim.stages",
    "markov_clv": "sim.clv",
    "constant_retention_clv": "sim.clv",
}

__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
