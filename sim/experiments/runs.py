"""Replications of one scenario: the tables of a run, or just the KPI row of each replication.

Replication r draws from ``SeedSequence(seed, spawn_key=(r, ...))`` whatever
runs it and wherever, so serial and parallel runs give the same tables.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sim.engine.simulate import Replication, simulate
from sim.experiments.cost import check_fits
from sim.experiments.executors import map_jobs
from sim.results.stream import PanelParts
from sim.results.tables import Results, replication_row
from sim.scenario import Scenario, ScenarioError


def check_runs(reps: int, seed: int) -> None:
    """Raise ScenarioError for a replication count below 1 or a negative seed."""
    if reps < 1:
        raise ScenarioError(f"replications = {reps}: need at least 1")
    if seed < 0:
        raise ScenarioError(f"seed = {seed}: must be a non-negative integer")


def run(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    n_jobs: int = 1,
    progress: Callable[[int], None] | None = None,
    cluster: str | None = None,
    customer_parts: Path | None = None,
) -> Results:
    """Run `replications` replications of `scenario` (defaults from the scenario) and tabulate them.

    Replication r draws from ``SeedSequence(seed, spawn_key=(r, ...))``, so the
    tables do not depend on `n_jobs`.  `progress` is called with 1 after each
    finished replication.  Serial by default: each replication returns its
    full customer-month arrays, which are costly to send between processes.
    With `customer_parts` (a folder), the customer-month table is written
    there as Parquet while the replications run (sim.results.stream) and
    ``Results.customers`` is None: for tables larger than memory.
    """
    reps = scenario.replications if replications is None else replications
    seed = scenario.seed if seed is None else seed
    check_runs(reps, seed)
    parallel = 1 if cluster else min(n_jobs, reps)
    if customer_parts is None or scenario.record != "customers":
        check_fits(scenario, reps, parallel)
        jobs = [(scenario, r, seed) for r in range(reps)]
    else:  # the customer-month table goes to disk as it is made: only the totals stay in memory
        check_fits(scenario.with_overrides(record="aggregates"), reps, parallel)
        parts = PanelParts(customer_parts, scenario)
        jobs = [(scenario, r, seed, None, None, parts.part(r, seed)) for r in range(reps)]
    done: list[Replication] = map_jobs(simulate, jobs, n_jobs, progress, cluster)
    return Results.from_replications(scenario, done)


def kpis(scenario: Scenario, replication: int, seed: int) -> dict[str, float]:
    """The KPI row of one replication (what comparisons and sweeps need; small to send between processes)."""
    return replication_row(simulate(scenario.with_overrides(record="aggregates"), replication, seed))
