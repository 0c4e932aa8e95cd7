"""Experiments: replications, strategy comparisons with common random numbers, and what-if sweeps.

Where the work runs: serially, on local cores with joblib (the default for
comparisons and sweeps), or on a Dask cluster when given its address.  Dask
rather than Ray: it installs as pure-Python wheels, starts a local cluster in
a second for tests, and its scheduler runs anywhere Python does.

Every run of every variant and sweep point uses the same root seed, so
replication r meets the same customers and the same draws everywhere
(common random numbers): differences between variants are paired, and their
variance is far smaller than with independent seeds.  Work is spread over
local cores with joblib; results do not depend on the number of jobs.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from scipy import stats
from scipy.stats import qmc

from sim.engine.simulate import Replication, simulate
from sim.scenario.overrides import apply
from sim.results.tables import Results, replication_row, verdict
from sim.scenario import Scenario, ScenarioError

# The KPIs a comparison reports first (all KPIs are in the tables).
COMPARE_KPIS = ("profit", "customer_equity", "retention", "share_of_wallet", "time_to_commitment", "mean_trust", "revenue", "cost_to_serve")


def default_jobs() -> int:
    """Local cores to use by default."""
    return max(1, os.cpu_count() or 1)


def _map(
    fn: Callable, jobs: list[tuple], n_jobs: int | None, progress: Callable[[int], None] | None, cluster: str | None = None
) -> list:
    """Apply `fn` to every job tuple: serially, on local cores (joblib), or on a Dask cluster; results in job order.

    Every job carries its own seed, so where it runs never changes its result.
    """
    if cluster:
        return _map_dask(fn, jobs, progress, cluster)
    n_jobs = default_jobs() if n_jobs is None else n_jobs
    if n_jobs == 1 or len(jobs) <= 1:
        out = []
        for job in jobs:
            out.append(fn(*job))
            if progress:
                progress(1)
        return out
    indexed = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(delayed(_indexed)(fn, k, job) for k, job in enumerate(jobs))
    out: list = [None] * len(jobs)
    for k, res in indexed:
        out[k] = res
        if progress:
            progress(1)
    return out


def _indexed(fn: Callable, k: int, job: tuple) -> tuple[int, Any]:
    return k, fn(*job)


def _map_dask(fn: Callable, jobs: list[tuple], progress: Callable[[int], None] | None, address: str) -> list:
    """Run the jobs on the Dask cluster at `address` (e.g. tcp://10.0.0.5:8786)."""
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        raise ScenarioError("--cluster needs Dask: pip install 'crmsim[distributed]'") from None
    try:
        client = Client(address, timeout="10s")
    except OSError as exc:
        raise ScenarioError(f"--cluster {address}: cannot reach a Dask scheduler there ({exc})") from None
    with client:
        futures = [client.submit(_indexed, fn, k, job, pure=False) for k, job in enumerate(jobs)]
        out: list = [None] * len(jobs)
        for _, (k, res) in as_completed(futures, with_results=True):
            out[k] = res
            if progress:
                progress(1)
        return out


def _check(reps: int, seed: int) -> None:
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
) -> Results:
    """Run `replications` replications of `scenario` (defaults from the scenario) and tabulate them.

    Replication r draws from ``SeedSequence(seed, spawn_key=(r, ...))``, so the
    tables do not depend on `n_jobs`.  `progress` is called with 1 after each
    finished replication.  Serial by default: each replication returns its
    full customer-month arrays, which are costly to send between processes.
    """
    reps = scenario.replications if replications is None else replications
    seed = scenario.seed if seed is None else seed
    _check(reps, seed)
    done: list[Replication] = _map(simulate, [(scenario, r, seed) for r in range(reps)], n_jobs, progress, cluster)
    return Results.from_replications(scenario, done)


def kpis(scenario: Scenario, replication: int, seed: int) -> dict[str, float]:
    """The KPI row of one replication (what comparisons and sweeps need; small to send between processes)."""
    return replication_row(simulate(scenario.with_overrides(record="aggregates"), replication, seed))


def _variants(scenario: Scenario, variants: dict[str, dict[str, Any]] | None) -> dict[str, Scenario]:
    spec = scenario.compare.variants if variants is None else variants
    if not spec:
        raise ScenarioError(
            "no variants to compare: add [compare.variants.NAME] tables to the scenario "
            '(e.g. "strategy.account_growth" = "all_at_once") or pass --variant NAME:PATH=VALUE'
        )
    return {name: apply(scenario, changes) for name, changes in spec.items()}


def compare(
    scenario: Scenario,
    variants: dict[str, dict[str, Any]] | None = None,
    replications: int | None = None,
    seed: int | None = None,
    n_jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
    independent: bool = False,
    cluster: str | None = None,
) -> pd.DataFrame:
    """Run each variant on the same replications; one row per variant and replication.

    `independent` gives each variant its own seeds instead of common random
    numbers (only useful to measure what common random numbers save).
    """
    reps = scenario.replications if replications is None else replications
    seed = scenario.seed if seed is None else seed
    _check(reps, seed)
    scs = _variants(scenario, variants)
    names = list(scs)
    jobs = [(scs[v], r, seed + (1_000_003 * k if independent else 0)) for k, v in enumerate(names) for r in range(reps)]
    rows = _map(kpis, jobs, n_jobs, progress, cluster)
    table = pd.DataFrame(rows)
    table.insert(0, "variant", np.repeat(names, reps))
    table.insert(0, "scenario", scenario.name)
    return table


def paired_differences(
    table: pd.DataFrame,
    baseline: str | None = None,
    kpis: Iterable[str] = COMPARE_KPIS,
    by: list[str] | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """Variant minus baseline per KPI, paired by replication, with t-intervals (one row per variant and KPI)."""
    by = by or []
    names = list(dict.fromkeys(table["variant"]))
    baseline = baseline or names[0]
    if baseline not in names:
        raise ScenarioError(f"baseline {baseline!r} is not a variant; variants are {names}")
    rows = []
    groups = table.groupby(by, sort=False) if by else [((), table)]
    for key, part in groups:
        key = key if isinstance(key, tuple) else (key,)
        base = part[part.variant == baseline].set_index("replication")
        for v in names:
            if v == baseline:
                continue
            other = part[part.variant == v].set_index("replication")
            for kpi in kpis:
                d = (other[kpi] - base[kpi]).dropna().to_numpy(dtype=float)
                n = len(d)
                mean = d.mean() if n else float("nan")
                sd = d.std(ddof=1) if n > 1 else float("nan")
                half = stats.t.ppf(0.5 + level / 2, n - 1) * sd / np.sqrt(n) if n > 1 else float("nan")
                rows.append(
                    {
                        **dict(zip(by, key)),
                        "variant": v,
                        "baseline": baseline,
                        "kpi": kpi,
                        "baseline_mean": float(base[kpi].mean()),
                        "variant_mean": float(other[kpi].mean()),
                        "difference": mean,
                        "sd": sd,
                        "ci_low": mean - half,
                        "ci_high": mean + half,
                        "replications": n,
                        "significant": bool(n > 1 and (mean - half > 0 or mean + half < 0)),
                        "verdict": verdict(kpi, mean - half, mean + half) if n > 1 else "ns",
                    }
                )
    return pd.DataFrame(rows)


def sweep_points(parameters: dict[str, list[Any]], method: str = "grid", samples: int = 20, seed: int = 0) -> pd.DataFrame:
    """The points of a sweep: every combination (grid) or a Latin hypercube sample of [low, high] ranges."""
    if not parameters:
        raise ScenarioError("no sweep parameters: add [sweep.parameters] to the scenario or pass --param PATH=VALUES")
    paths = list(parameters)
    if method == "grid":
        return pd.DataFrame(list(itertools.product(*parameters.values())), columns=paths)
    if method == "lhs":
        for path, bounds in parameters.items():
            if len(bounds) != 2 or not all(isinstance(b, (int, float)) for b in bounds) or bounds[0] >= bounds[1]:
                raise ScenarioError(f"sweep {path}: lhs needs [low, high] with low < high, got {bounds}")
        unit = qmc.LatinHypercube(d=len(paths), seed=seed).random(samples)
        lows = np.array([parameters[p][0] for p in paths], dtype=float)
        highs = np.array([parameters[p][1] for p in paths], dtype=float)
        pts = pd.DataFrame(lows + unit * (highs - lows), columns=paths)
        for p in paths:  # integer fields stay integers
            if all(isinstance(b, int) for b in parameters[p]):
                pts[p] = pts[p].round().astype(int)
        return pts
    raise ScenarioError(f"sweep method {method!r}: use grid or lhs")


def sweep(
    scenario: Scenario,
    parameters: dict[str, list[Any]] | None = None,
    method: str | None = None,
    samples: int | None = None,
    variants: dict[str, dict[str, Any]] | None = None,
    replications: int | None = None,
    seed: int | None = None,
    n_jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
    cluster: str | None = None,
) -> pd.DataFrame:
    """Run the scenario (or each of its variants) at every sweep point; one row per point, variant and replication.

    All points share the root seed, so the same customers meet the same
    draws at every point and differences between points are paired too.
    """
    sw = scenario.sweep
    params = sw.parameters if parameters is None else parameters
    points = sweep_points(params, method or sw.method, samples or sw.samples, scenario.seed)
    reps = scenario.replications if replications is None else replications
    seed = scenario.seed if seed is None else seed
    _check(reps, seed)
    use_variants = variants if variants is not None else (scenario.compare.variants or {"scenario": {}})
    jobs, meta = [], []
    for k, point in enumerate(points.to_dict("records")):
        at = apply(scenario, {p: (v.item() if hasattr(v, "item") else v) for p, v in point.items()})
        for name, sc in _variants(at, use_variants).items():
            for r in range(reps):
                jobs.append((sc, r, seed))
                meta.append({"point": k, **point, "variant": name})
    rows = _map(kpis, jobs, n_jobs, progress, cluster)
    out = pd.concat([pd.DataFrame(meta), pd.DataFrame(rows)], axis=1)
    out.insert(0, "scenario", scenario.name)
    return out
