"""Global sensitivity analysis: which uncertain parameters drive a KPI (Morris screening, Sobol' indices).

Designs and indices come from SALib (Herman and Usher 2017): Morris's
elementary effects (Morris 1991, with mu* from Campolongo, Cariboni and
Saltelli 2007) and Sobol' indices from Saltelli's scheme (Saltelli 2002;
Saltelli et al. 2010).  Every design point runs on the same replication seeds
(common random numbers), so a parameter that cannot move the KPI gets an
index of exactly 0, and differences between points are not blurred by
different customers.  The KPI of a point is its mean over the replications;
how much of the spread between points is still replication noise is
reported beside the indices (`noise_share`), because an index is only as good
as the output it decomposes.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.engine.modes import check_levers
from sim.errors import UsageError
from sim.experiments.compare import paired_arms, variants_of
from sim.experiments.executors import map_jobs
from sim.experiments.runs import check_runs, kpis
from sim.scenario import Scenario
from sim.scenario.overrides import apply

METHODS = ("morris", "sobol")
MORRIS_LEVELS = 4  # grid levels of a Morris trajectory (SALib's default; Saltelli et al. 2008 suggest 4)


@dataclass
class Sensitivity:
    """Indices per parameter, the runs behind them, and how much of the output spread is replication noise."""

    method: str
    kpi: str
    indices: pd.DataFrame  # one row per parameter
    second_order: pd.DataFrame | None  # Sobol: one row per pair of parameters
    experiments: pd.DataFrame  # one row per design point and replication: parameter values and every KPI
    noise_share: float  # replication noise in the variance of the point means (0: none, 1: all noise)


def problem(parameters: dict[str, list[Any]]) -> dict[str, Any]:
    """SALib's problem definition from {path: [low, high]}, checked with the field named."""
    if not parameters:
        raise UsageError('no parameters: pass -p "PATH=LOW,HIGH" (repeatable) or add [sensitivity.parameters]')
    for path, bounds in parameters.items():
        ok = len(bounds) == 2 and all(isinstance(b, int | float) and not isinstance(b, bool) for b in bounds)
        if not ok or not bounds[0] < bounds[1]:
            raise UsageError(f"sensitivity parameter {path}: give LOW,HIGH with LOW < HIGH, got {bounds}")
    return {
        "num_vars": len(parameters),
        "names": list(parameters),
        "bounds": [list(map(float, b)) for b in parameters.values()],
    }


def sobol_note(method: str, samples: int) -> str | None:
    """What to say when Sobol's base sample is not a power of 2 (its Sobol' sequence then loses its balance)."""
    if method != "sobol" or not samples & (samples - 1):
        return None
    up = 1 << samples.bit_length()
    return f"--samples {samples} is not a power of 2: Sobol' indices converge as documented only for 2^k; try {up}"


def design(method: str, parameters: dict[str, list[Any]], samples: int, seed: int) -> pd.DataFrame:
    """The design points (one row each, one column per parameter path): Morris trajectories or Saltelli's sample."""
    from SALib.sample import morris, sobol

    spec = problem(parameters)
    if method == "morris":
        if samples < 2:
            raise UsageError(f"--samples {samples}: Morris needs at least 2 trajectories (10 to 50 is usual)")
        x = morris.sample(spec, samples, num_levels=MORRIS_LEVELS, seed=seed)
    elif method == "sobol":
        if samples < 2:
            raise UsageError(f"--samples {samples}: Saltelli's scheme needs at least 2 base samples (a power of 2)")
        with warnings.catch_warnings():  # a base size that is not a power of 2 is said once, by sobol_note
            warnings.simplefilter("ignore", UserWarning)
            x = sobol.sample(spec, samples, calc_second_order=len(parameters) > 1, seed=seed)
    else:
        raise UsageError(f"--method {method}: use one of {list(METHODS)}")
    points = pd.DataFrame(x, columns=spec["names"])
    for path, bounds in parameters.items():  # integer fields stay integers
        if all(isinstance(b, int) for b in bounds):
            points[path] = points[path].round().astype(int)
    return points


def sensitivity_steps(
    scenario: Scenario,
    parameters: dict[str, list[Any]],
    method: str,
    samples: int,
    replications: int | None = None,
    seed: int | None = None,
    variant: str | None = None,
) -> tuple[int, int]:
    """Design points and runs :func:`sensitivity` makes (every point's replications, per arm)."""
    points = len(design(method, parameters, samples, scenario.seed if seed is None else seed))
    reps = scenario.replications if replications is None else replications
    return points, points * reps * (1 if variant is None else 2)


def sensitivity(
    scenario: Scenario,
    parameters: dict[str, list[Any]],
    kpi: str,
    method: str = "morris",
    samples: int = 20,
    replications: int | None = None,
    seed: int | None = None,
    n_jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
    cluster: str | None = None,
    variant: str | None = None,
) -> Sensitivity:
    """Run every design point on the same replication seeds and decompose the KPI's variation by parameter.

    With `variant` (a ``[compare]`` variant), the output at each point is the
    paired difference of the KPI between that variant and the comparison's
    baseline, on the same seeds: which parameters drive the gap between two
    strategies.
    """
    reps = scenario.replications if replications is None else replications
    seed = scenario.seed if seed is None else seed
    check_runs(reps, seed)
    check_levers(scenario, parameters, "sensitivity")
    arms = {"scenario": {}} if variant is None else paired_arms(scenario, variant)
    points = design(method, parameters, samples, seed)
    experiments = run_points(scenario, points, arms, kpi, reps, seed, n_jobs, progress, cluster)
    wide = experiments.pivot_table(index=["point", "replication"], columns="variant", values=kpi)
    base = wide[next(iter(arms))]
    output = base if variant is None else wide[variant] - base  # a paired difference, replication by replication
    by_point = output.groupby(level="point")
    y = by_point.mean().to_numpy()
    noise = float(by_point.var(ddof=1).mean() / reps)
    spread = float(np.var(y, ddof=1))
    share = noise / spread if spread > 0 else float("nan")
    indices, pairs = _analyse(method, parameters, points, y, seed)
    return Sensitivity(method, kpi, indices, pairs, experiments, min(share, 1.0))


def run_points(
    scenario: Scenario,
    points: pd.DataFrame,
    arms: dict[str, dict[str, Any]],
    kpi: str,
    reps: int,
    seed: int,
    n_jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
    cluster: str | None = None,
) -> pd.DataFrame:
    """Every arm at every design point, on the same replication seeds: one row per point, arm and replication."""
    jobs, meta = [], []
    for k, point in enumerate(points.to_dict("records")):
        at = apply(scenario, {p: (v.item() if hasattr(v, "item") else v) for p, v in point.items()})
        for name, sc in variants_of(at, arms).items():
            for r in range(reps):
                jobs.append((sc, r, seed))
                meta.append({"point": k, **point, "variant": name, "replication": r})
    rows = pd.DataFrame(map_jobs(kpis, jobs, n_jobs, progress, cluster))
    if kpi not in rows:
        raise UsageError(f"--kpi {kpi}: the scenario's behaviour mode does not model it; choose a KPI it reports")
    return pd.concat([pd.DataFrame(meta), rows.drop(columns=["replication"], errors="ignore")], axis=1)


def _analyse(
    method: str, parameters: dict[str, list[Any]], points: pd.DataFrame, y: np.ndarray, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """SALib's indices as tables; each row says whether its 95% interval covers 0 (not distinguishable from 0)."""
    from SALib.analyze import morris, sobol

    spec, names = problem(parameters), list(parameters)
    if method == "morris":
        res = morris.analyze(spec, points.to_numpy(dtype=float), y, num_levels=MORRIS_LEVELS, seed=seed)
        table = pd.DataFrame(
            {
                "parameter": names,
                "mu_star": res["mu_star"],
                "mu_star_conf": res["mu_star_conf"],
                "mu": res["mu"],
                "sigma": res["sigma"],
            }
        )
        table["covers_0"] = table["mu_star"] - table["mu_star_conf"] <= 0
        return table.sort_values("mu_star", ascending=False, ignore_index=True), None
    second = len(names) > 1
    res = sobol.analyze(spec, y, calc_second_order=second, seed=seed)
    table = pd.DataFrame(
        {"parameter": names, "S1": res["S1"], "S1_conf": res["S1_conf"], "ST": res["ST"], "ST_conf": res["ST_conf"]}
    )
    table["S1_covers_0"] = table["S1"] - table["S1_conf"] <= 0
    table["ST_covers_0"] = table["ST"] - table["ST_conf"] <= 0
    pairs = None
    if second:
        i, j = np.triu_indices(len(names), k=1)
        pairs = pd.DataFrame(
            {
                "parameter_1": [names[a] for a in i],
                "parameter_2": [names[b] for b in j],
                "S2": res["S2"][i, j],
                "S2_conf": res["S2_conf"][i, j],
            }
        )
        pairs["covers_0"] = (pairs["S2"] - pairs["S2_conf"] <= 0) & (pairs["S2"] + pairs["S2_conf"] >= 0)
    return table.sort_values("ST", ascending=False, ignore_index=True), pairs
