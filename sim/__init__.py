"""crmsim's simulation package: customers moving through relationship stages and the loyalty ladder.

Public API (imported lazily, so that the scenario layer loads without SimPy)::

    from sim import load_scenario, run
    results = run(load_scenario("scenarios/baseline.toml"))
    results.summary()
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from sim.version import __version__ as __version__

_API = {
    "Scenario": "sim.scenario",
    "ScenarioError": "sim.scenario",
    "load_scenario": "sim.scenario",
    "build_scenario": "sim.scenario",
    "apply_overrides": ("sim.scenario", "apply"),
    "simulate": "sim.engine.simulate",
    "run": "sim.experiments",
    "compare": "sim.experiments",
    "paired_differences": "sim.experiments",
    "sweep": "sim.experiments",
    "sensitivity": "sim.experiments",
    "discover": "sim.experiments.discovery",
    "read_results": "sim.results.archive",
    "Results": "sim.results.tables",
    "summarize": "sim.results.tables",
    "migration_loop": "sim.workflows.migration",
    "portfolio_loop": "sim.workflows.portfolio",
    "Stage": "sim.stages",
    "Rung": "sim.stages",
    "markov_clv": "optimize.clv",
    "constant_retention_clv": "optimize.clv",
}

__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name in _API:
        module, attr = _API[name] if isinstance(_API[name], tuple) else (_API[name], name)
        return getattr(import_module(module), attr)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
