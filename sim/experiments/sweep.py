"""What-if sweeps: the scenario (or each of its variants) at every point of a grid or Latin hypercube.

All points share the root seed, so the same customers meet the same draws
at every point and differences between points are paired too.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from scipy.stats import qmc

from sim.engine.modes import check_levers
from sim.errors import UsageError
from sim.experiments.compare import paired_differences, variants_of
from sim.experiments.executors import Checkpoint, job_key, map_jobs
from sim.experiments.runs import check_runs, kpis
from sim.results.kpis import KPIS
from sim.results.stats import adjust_p
from sim.scenario import Scenario, ScenarioError
from sim.scenario.overrides import apply


def sweep_points(
    parameters: dict[str, list[Any]], method: str = "grid", samples: int = 20, seed: int = 0
) -> pd.DataFrame:
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


def _plan(
    scenario: Scenario,
    parameters: dict[str, list[Any]] | None,
    method: str | None,
    samples: int | None,
    variants: dict[str, dict[str, Any]] | None,
) -> tuple[dict[str, list[Any]], pd.DataFrame, dict[str, dict[str, Any]]]:
    """The sweep's parameters, its points and the variants run at each (the scenario's where not given)."""
    sw = scenario.sweep
    params = sw.parameters if parameters is None else parameters
    points = sweep_points(params, method or sw.method, samples or sw.samples, scenario.seed)
    if variants is None:
        variants = {name: scenario.compare.variants[name] for name in sw.variants or list(scenario.compare.variants)}
    return params, points, variants or {"scenario": {}}


def sweep_steps(
    scenario: Scenario,
    parameters: dict[str, list[Any]] | None = None,
    method: str | None = None,
    samples: int | None = None,
    replications: int | None = None,
) -> tuple[int, int, int]:
    """Points, variants and replications :func:`sweep` runs (its runs are their product: a progress bar)."""
    _, points, variants = _plan(scenario, parameters, method, samples, None)
    return len(points), len(variants), scenario.replications if replications is None else replications


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
    checkpoint: Path | None = None,
    resume: bool = False,
) -> pd.DataFrame:
    """Run the scenario (or each of its variants) at every sweep point; one row per point, variant and replication.

    All points share the root seed, so the same customers meet the same
    draws at every point and differences between points are paired too.
    With a `checkpoint` file every finished run is kept as it completes;
    `resume` skips the runs it holds, and gives the table an uninterrupted
    sweep would have given.
    """
    params, points, use_variants = _plan(scenario, parameters, method, samples, variants)
    check_levers(scenario, params, "sweep")
    reps = scenario.replications if replications is None else replications
    seed = scenario.seed if seed is None else seed
    check_runs(reps, seed)
    jobs, meta = [], []
    for k, point in enumerate(points.to_dict("records")):
        at = apply(scenario, {p: (v.item() if hasattr(v, "item") else v) for p, v in point.items()})
        for name, sc in variants_of(at, use_variants).items():
            for r in range(reps):
                jobs.append((sc, r, seed))
                meta.append({"point": k, **point, "variant": name})
    keeper = None if checkpoint is None else Checkpoint(checkpoint, [job_key(*job) for job in jobs], resume)
    rows = map_jobs(kpis, jobs, n_jobs, progress, cluster, keeper)
    out = pd.concat([pd.DataFrame(meta), pd.DataFrame(rows)], axis=1)
    out.insert(0, "scenario", scenario.name)
    return out


def summarize_sweep(
    table: pd.DataFrame, paths: list[str], kpi: str, baseline: str | None = None, fdr: float = 0.05
) -> tuple[pd.DataFrame, str, str]:
    """One row per sweep point: the KPI's mean, or with variants the paired difference, its interval and the winner.

    A sweep tests every point, so winners are declared on p-values adjusted for
    the number of points (Benjamini-Hochberg, false discovery rate `fdr`), not
    on each point's own 95% interval.  Returns (summary, value column, title).
    """
    if kpi not in table:
        raise UsageError(f"--kpi {kpi}: the scenario's behaviour mode does not model it; choose a KPI it reports")
    if table["variant"].nunique() > 1:
        diff = paired_differences(table, baseline, kpis=[kpi], by=["point", *paths])
        diff["p_adjusted"] = adjust_p(diff["p_value"])
        clear = diff["p_adjusted"] < fdr
        diff["significant"] = clear  # in a sweep, significant after the correction
        diff["winner"] = np.where(clear, np.where(diff.difference > 0, diff.variant, diff.baseline), "no clear winner")
        title = (
            f"{kpi}: {diff.variant.iloc[0]} minus {diff.baseline.iloc[0]}; winners at a {fdr:.0%} false discovery "
            f"rate over {len(diff)} tests (Benjamini-Hochberg)"
        )
        return diff, "difference", title
    summary = table.groupby(["point", *paths])[kpi].agg(["mean", "std", "count"]).reset_index()
    half = stats.t.ppf(0.975, np.maximum(summary["count"] - 1, 1)) * summary["std"] / np.sqrt(summary["count"])
    summary["ci_low"], summary["ci_high"] = summary["mean"] - half, summary["mean"] + half  # 95% t-interval
    return summary.rename(columns={"mean": kpi}), kpi, f"{kpi} (mean over replications, 95% interval)"


def check_kpi(kpi: str, where: str = "--kpi") -> None:
    """Raise a UsageError unless `kpi` is a registered KPI (before anything runs); `where` names the option or field."""
    if kpi not in KPIS:
        raise UsageError(f"{where} {kpi}: not a KPI; choose one of {list(KPIS)}")


def sweep_baseline(scenario: Scenario) -> str | None:
    """The variant a sweep's differences are taken from: the [compare] baseline if the sweep runs it, else its first."""
    chosen = scenario.sweep.variants
    if not chosen or scenario.compare.baseline in chosen:
        return scenario.compare.baseline or None
    return chosen[0]
