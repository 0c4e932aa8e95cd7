"""Replications of a scenario, serial or in parallel, with identical results either way."""

from __future__ import annotations

import os
from collections.abc import Callable

from joblib import Parallel, delayed

from sim.engine import Replication, simulate
from sim.results import Results
from sim.scenario import Scenario, ScenarioError


def default_jobs() -> int:
    """Local cores to use by default."""
    return max(1, os.cpu_count() or 1)


def run(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    n_jobs: int = 1,
    progress: Callable[[int], None] | None = None,
) -> Results:
    """Run `replications` replications of `scenario` (defaults from the scenario) and tabulate them.

    Replication r draws from ``SeedSequence(seed, spawn_key=(r, ...))``, so the
    tables do not depend on `n_jobs`.  `progress` is called with 1 after each
    finished replication.
    """
    reps = scenario.replications if replications is None else replications
    if reps < 1:
        raise ScenarioError(f"replications = {reps}: need at least 1")
    seed = scenario.seed if seed is None else seed
    if seed < 0:
        raise ScenarioError(f"seed = {seed}: must be a non-negative integer")
    done: list[Replication] = []
    if n_jobs == 1 or reps == 1:
        for r in range(reps):
            done.append(simulate(scenario, r, seed))
            if progress:
                progress(1)
    else:
        jobs = (delayed(simulate)(scenario, r, seed) for r in range(reps))
        for rep in Parallel(n_jobs=n_jobs, return_as="generator_unordered")(jobs):
            done.append(rep)
            if progress:
                progress(1)
    return Results.from_replications(scenario, done)
