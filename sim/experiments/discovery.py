"""Scenario discovery: where in the space of uncertain parameters does one strategy beat another?

The declared ranges are sampled by Latin hypercube; at each point the
comparison's baseline and a variant run paired on the same replication seeds,
and a point is a *case* when the variant does better on the KPI (by the KPI's
own direction: more profit, less churn).  PRIM (Friedman and Fisher 1999), as
the EMA Workbench implements it (Kwakkel 2017), peels the space down to boxes
that hold the cases: each box on its peeling trajectory trades coverage (the
share of all cases inside it) against density (the share of cases among the
points inside it), as in Bryant and Lempert (2010).  The chosen box is the one
with the most coverage among those at least `threshold` dense (the densest
of boxes with equal coverage).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.errors import UsageError
from sim.experiments.compare import paired_arms
from sim.experiments.runs import check_runs
from sim.experiments.sensitivity import problem, run_points
from sim.experiments.sweep import sweep_points
from sim.results.kpis import KPIS
from sim.results.stats import mean_interval
from sim.scenario import Scenario


@dataclass
class Discovery:
    """The runs, the cases, the peeling trajectory and the chosen box."""

    experiments: pd.DataFrame  # one row per point, arm and replication: parameter values and every KPI
    points: pd.DataFrame  # one row per point: parameter values, the paired mean difference, whether it is a case
    trajectory: pd.DataFrame  # one row per box on the peeling trajectory: coverage, density, mass, restricted dims
    boxes: pd.DataFrame  # every box on the trajectory (`chosen` marks one): a row per restricted parameter, with limits
    chosen: int  # the chosen box's position on the trajectory
    tree: str  # a second view: a shallow classification tree's rules for the cases (CART)


def _prim() -> Any:
    """The EMA Workbench's PRIM (an optional dependency: ``pip install 'crmsim[discover]'``)."""
    try:
        with warnings.catch_warnings():  # it warns about optional parallel back ends crmsim does not use
            warnings.simplefilter("ignore")
            from ema_workbench.analysis import prim
    except ImportError as exc:
        raise UsageError("crmsim discover needs the EMA Workbench: pip install 'crmsim[discover]'") from exc
    return prim


def discover_steps(scenario: Scenario, samples: int = 200, replications: int | None = None) -> int:
    """Runs :func:`discover` makes: every sampled point's replications, for both arms."""
    return samples * 2 * (scenario.replications if replications is None else replications)


def discover(
    scenario: Scenario,
    parameters: dict[str, list[Any]],
    kpi: str,
    variant: str,
    samples: int = 200,
    replications: int | None = None,
    seed: int | None = None,
    threshold: float = 0.8,
    n_jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
    cluster: str | None = None,
) -> Discovery:
    """Sample the ranges, run baseline and `variant` paired at every point, and find PRIM boxes of its wins."""
    prim = _prim()
    problem(parameters)  # the ranges, checked with the field named
    if not 0 < threshold <= 1:
        raise UsageError(f"--threshold {threshold}: the density a box must reach, between 0 and 1")
    if kpi not in KPIS:
        raise UsageError(f"--kpi {kpi}: not a KPI; choose one of {list(KPIS)}")
    reps = scenario.replications if replications is None else replications
    seed = scenario.seed if seed is None else seed
    check_runs(reps, seed)
    arms = paired_arms(scenario, variant)
    base = next(iter(arms))
    grid = sweep_points(parameters, "lhs", samples, seed)
    experiments = run_points(scenario, grid, arms, kpi, reps, seed, n_jobs, progress, cluster)
    wide = experiments.pivot_table(index=["point", "replication"], columns="variant", values=kpi)
    gap = (wide[variant] - wide[base]).groupby(level="point")
    points = grid.assign(difference=gap.mean().to_numpy(), se=(gap.std(ddof=1) / np.sqrt(reps)).to_numpy())
    direction = KPIS[kpi].better or 1
    points["case"] = direction * points["difference"] > 0
    if not points["case"].any() or points["case"].all():
        return _uniform(experiments, points, parameters, variant, base)
    with warnings.catch_warnings():  # the Workbench's own deprecation notices from pandas are not the user's concern
        warnings.simplefilter("ignore", category=FutureWarning)
        warnings.simplefilter("ignore", category=DeprecationWarning)
        box = prim.Prim(grid, points["case"].to_numpy(), threshold=threshold).find_box()
    trajectory = box.peeling_trajectory.copy()
    chosen = _choose(trajectory, threshold)
    trajectory["restricted"] = [", ".join(_restricted(lims, box.box_lims[0])) for lims in box.box_lims]
    boxes = _box_table(points, box.box_lims, chosen, trajectory)
    return Discovery(experiments, points, trajectory, boxes, chosen, cart_rules(grid, points["case"].to_numpy(), seed))


def cart_rules(x: pd.DataFrame, case: np.ndarray, seed: int, depth: int = 3) -> str:
    """A second view of the cases: the rules of a classification tree of depth `depth` (CART, scikit-learn).

    PRIM looks for one box with many cases and few others; a tree splits
    the whole space, so it also shows where the baseline wins.  Leaves need
    5% of the points, so a rule rests on more than a point or two.
    """
    from sklearn.tree import DecisionTreeClassifier, export_text

    leaf = max(2, int(0.05 * len(x)))
    tree = DecisionTreeClassifier(max_depth=depth, min_samples_leaf=leaf, random_state=seed).fit(
        x.to_numpy(float), case
    )
    return export_text(tree, feature_names=list(x.columns), class_names=["baseline", "variant"], show_weights=True)


def _uniform(
    experiments: pd.DataFrame, points: pd.DataFrame, parameters: dict[str, list[Any]], variant: str, base: str
) -> Discovery:
    """Every point a case, or none: the answer is the whole space, one box with nothing to peel."""
    share = float(points["case"].mean())
    trajectory = pd.DataFrame(
        {"coverage": [1.0 if share else 0.0], "density": [share], "mass": [1.0], "res_dim": [0], "restricted": [""]}
    )
    whole = pd.DataFrame({p: [float(lo), float(hi)] for p, (lo, hi) in parameters.items()})
    winner = variant if share else base
    tree = f"no split: {winner} does better at every one of the {len(points)} points\n"
    return Discovery(experiments, points, trajectory, _box_table(points, [whole], 0, trajectory), 0, tree)


def _choose(trajectory: pd.DataFrame, threshold: float) -> int:
    """The box with the most coverage among those `threshold` dense, the densest of equals (else the densest)."""
    dense = trajectory[trajectory["density"] >= threshold]
    if dense.empty:
        return int(trajectory["density"].idxmax())
    return int(dense.sort_values(["coverage", "density"], ascending=False, kind="stable").index[0])


def _restricted(limits: pd.DataFrame, full: pd.DataFrame) -> list[str]:
    """Parameters whose range a box narrows."""
    return [c for c in limits.columns if not np.allclose(limits[c].to_numpy(float), full[c].to_numpy(float))]


def _box_table(
    points: pd.DataFrame, all_limits: list[pd.DataFrame], chosen: int, trajectory: pd.DataFrame
) -> pd.DataFrame:
    """Every box on the trajectory: one row per restricted parameter, with the box's coverage, density, paired gap."""
    full, frames = all_limits[0], []
    for k, limits in enumerate(all_limits):
        names = _restricted(limits, full) or list(limits.columns)  # the whole space: every range in full
        inside = np.ones(len(points), dtype=bool)
        for c in limits.columns:
            inside &= points[c].between(limits[c].iloc[0], limits[c].iloc[1]).to_numpy()
        gap = mean_interval(points.loc[inside, "difference"].to_numpy())
        row = trajectory.loc[k]
        frames.append(
            pd.DataFrame(
                {
                    "box": k,
                    "chosen": k == chosen,
                    "parameter": names,
                    "low": [float(limits[c].iloc[0]) for c in names],
                    "high": [float(limits[c].iloc[1]) for c in names],
                    "coverage": float(row["coverage"]),
                    "density": float(row["density"]),
                    "points": int(inside.sum()),
                    "difference": gap.mean,
                    "ci_low": gap.low,
                    "ci_high": gap.high,
                }
            )
        )
    return pd.concat(frames, ignore_index=True)
