"""The customer portfolio closed loop: estimate values per segment (or customer), choose holdings, check them."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from optimize.estimate import estimate
from optimize.portfolio import Constraints, Portfolio
from sim.errors import UsageError
from sim.experiments import run
from sim.results.tables import Results
from sim.scenario import Scenario
from sim.workflows.checks import CHECK_SEED_OFFSET, LoopReport, diff_row, row


def _scenario_table(res: Results, level: str) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Value per unit held, for each replication (rows) and asset (columns); resource per unit; units available."""
    lt = res.lifetimes
    i = res.scenario.monthly_discount_rate
    panel = res.customers
    cost = (panel["cost_to_serve"] / (1 + i) ** panel["period"]).groupby([panel.replication, panel.customer]).sum()
    lt = lt.assign(cost=cost.reindex(pd.MultiIndex.from_frame(lt[["replication", "customer"]])).fillna(0.0).to_numpy())
    if level == "customer":
        # Only customers present from month 0 can be chosen in advance; referred newcomers vary by replication.
        lt = lt[lt.entered == 0]
        x = lt.pivot(index="replication", columns="customer", values="clv")
        resource = lt.groupby("customer")["cost"].mean().reindex(x.columns).to_numpy()
        return x, resource, np.ones(x.shape[1])
    per = lt.groupby(["replication", "segment"], observed=True).agg(
        clv=("clv", "sum"), cost=("cost", "sum"), n=("clv", "size")
    )
    x = (per["clv"] / per["n"]).unstack()
    resource = (per["cost"] / per["n"]).groupby(level="segment", observed=True).mean().reindex(x.columns).to_numpy()
    available = per["n"].groupby(level="segment", observed=True).mean().reindex(x.columns).to_numpy()
    return x, resource, available


def portfolio_loop(
    scenario: Scenario,
    level: str = "segment",
    capacity_share: float = 0.5,
    gamma: float | None = None,
    points: int = 50,
    replications: int | None = None,
    seed: int | None = None,
    n_jobs: int = 1,
    progress: Callable[[int], None] | None = None,
) -> LoopReport:
    """Choose the efficient set of customers (or segments) for a capacity, and check it on fresh seeds.

    Holding one unit of an asset earns its discounted margin and uses its
    discounted cost to serve; capacity is `capacity_share` of the cost to
    serve everyone.  Without `gamma` the point chosen is the one with the best
    value per unit of risk among those that use the capacity.  Customers are independent in the model, so
    the value of a holding is additive.  The prediction is the in-sample gain
    less its selection optimism (:func:`selection_optimism`); fresh seeds test it.
    """
    if level not in ("segment", "customer"):
        raise UsageError(f"level = {level!r}: use segment or customer")
    if not (np.isfinite(capacity_share) and 1e-4 <= capacity_share <= 1):
        raise UsageError(f"--capacity {capacity_share}: give a share of the cost to serve everyone in [0.0001, 1]")
    reps = replications or scenario.replications
    seed = scenario.seed if seed is None else seed
    sc = scenario.with_overrides(
        record="customers", population={**scenario.population.model_dump(), "fixed": level == "customer"}
    )
    est_run = run(sc, reps, seed, n_jobs=n_jobs, progress=progress)
    x, resource, available = _scenario_table(est_run, level)
    resource = np.maximum(resource, 1e-6 * max(float(resource.mean()), 1.0))  # a unit always uses some capacity
    est = estimate(x, resource=resource)
    capacity = capacity_share * float(resource @ available)
    port = Portfolio(est, Constraints(capacity=capacity, upper=available))
    frontier = port.frontier(points=points)
    # Past the largest risk aversion at which capacity binds, holdings only shrink pro rata (a ray from
    # the origin); spend the frontier's points where the mix changes instead.
    binding = frontier[frontier["resource_used"] >= 0.99 * capacity]
    if len(binding) >= 2:
        frontier = port.frontier(np.geomspace(frontier["gamma"].min(), binding["gamma"].max() * 1.5, points))
    if gamma is None:
        gamma = default_gamma(frontier, capacity)
    chosen = port.solve(gamma)
    w = chosen["holding"].to_numpy()
    w_uniform = available * capacity / float(resource @ available)  # the same capacity spread evenly

    check = run(sc, reps, seed + CHECK_SEED_OFFSET, n_jobs=n_jobs, progress=progress)
    x2, _, _ = _scenario_table(check, level)
    x2 = x2.reindex(columns=x.columns).fillna(0.0).to_numpy()
    in_sample = x.to_numpy() @ (w - w_uniform)
    optimism = selection_optimism(
        x.to_numpy(), resource, Constraints(capacity=capacity, upper=available), gamma, w_uniform
    )
    predicted_draws = in_sample - optimism
    simulated = x2 @ (w - w_uniform)
    comparison = pd.DataFrame(
        [
            row("predicted gain over uniform (corrected for selection)", predicted_draws),
            row("in-sample gain over uniform (uncorrected)", in_sample),
            row("simulated gain over uniform", simulated),
            row("simulated value, optimized", x2 @ w),
            row("simulated value, uniform", x2 @ w_uniform),
            diff_row(simulated, predicted_draws),
        ]
    )
    frontier["chosen"] = np.isclose(frontier["gamma"], gamma)
    if not frontier["chosen"].any():
        frontier = pd.concat(
            [frontier, pd.DataFrame([{"gamma": gamma, **_point(chosen), "chosen": True}])], ignore_index=True
        )
    return LoopReport(
        plan=chosen,
        comparison=comparison,
        frontier=frontier.sort_values("gamma").reset_index(drop=True),
        estimation=est_run,
    )


FOLDS = 5  # folds of replications for the selection correction


def selection_optimism(
    x: np.ndarray, resource: np.ndarray, constraints: Constraints, gamma: float, reference: np.ndarray
) -> float:
    """How much the in-sample gain of the chosen holdings overstates their value (the optimizer's curse).

    K-fold over replications: holdings chosen on the other folds are valued on
    the fold left out, and the in-sample minus held-out gain is averaged.  The
    curse shrinks with the draws a choice sees (about as 1/n for a mean), so
    the folds' optimism is scaled by (draws per fold choice) / (all draws).
    Returns 0 when there are too few replications to hold any out.
    """
    n = len(x)
    folds = [f for f in np.array_split(np.arange(n), min(FOLDS, n // 2)) if len(f)]
    if len(folds) < 2:
        return 0.0
    gaps = []
    for held in folds:
        train = np.setdiff1d(np.arange(n), held)
        w = Portfolio(estimate(x[train], resource=resource), constraints).solve(gamma)["holding"].to_numpy()
        gaps.append((x[train].mean(axis=0) - x[held].mean(axis=0)) @ (w - reference))
    train_size = n - n / len(folds)
    return float(np.mean(gaps)) * train_size / n


def default_gamma(frontier: pd.DataFrame, capacity: float) -> float:
    """Risk aversion of the frontier point with the best value per unit of risk among those using the capacity.

    Shrinking every holding scales value and risk alike, so the ratio only
    ranks portfolios of the same size: the comparison is among points that
    use (99% of) the capacity.  If none does, the least risk-averse point.
    """
    full = frontier[(frontier["resource_used"] >= 0.99 * capacity) & (frontier["std"] > 0)]
    if full.empty:
        return float(frontier["gamma"].min())
    ratio = full["expected_value"] / full["std"]
    return float(full.loc[ratio.idxmax(), "gamma"])


def _point(table: pd.DataFrame) -> dict[str, float]:
    return {
        "expected_value": float(table.portfolio_value.iloc[0]),
        "std": float(table.portfolio_std.iloc[0]),
        "resource_used": float(table.resource.sum()),
        "shadow_price": float(table.shadow_price.iloc[0]),
    }
