"""Closed loop: simulate to estimate, optimize, feed the plan back, and re-simulate with fresh seeds.

The check asks whether the gain the optimizer predicts shows up in
simulations it has not seen.  Fresh replications use a different root seed
from the estimation run; within the check, the plan and its comparison run on
the same seed (common random numbers), so gains are paired differences.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from optimize.estimate import estimate
from optimize.migration import (
    horizon_benefits,
    ladder_from_panel,
    plan_spend,
    predicted_gain,
    rung_benefits,
    rung_values,
)
from optimize.portfolio import Constraints, Portfolio
from sim.engine.modes import check_levers
from sim.errors import UsageError
from sim.experiments import run
from sim.results.stats import mean_interval, welch_interval
from sim.results.tables import Results
from sim.scenario import Scenario
from sim.stages import N_RUNGS

CHECK_SEED_OFFSET = 1_000_003  # fresh seeds for the check: never the estimation run's


def _row(label: str, x: np.ndarray) -> dict[str, float | str]:
    est = mean_interval(x)
    return {"quantity": label, "mean": est.mean, "ci_low": est.low, "ci_high": est.high, "replications": len(x)}


@dataclass
class LoopReport:
    """The plan, how it was estimated, and how it fared on fresh seeds."""

    plan: pd.DataFrame
    comparison: pd.DataFrame  # one row per quantity: predicted and simulated gains with intervals
    frontier: pd.DataFrame | None = None
    estimation: Results | None = None
    scenario: Scenario | None = None  # the scenario with the plan in force (migration)
    notes: list[str] = field(default_factory=list)  # what the user should know about the plan, one line each

    def consistent(self) -> bool:
        """Does the interval of (simulated - predicted) contain 0?"""
        row = self.comparison.set_index("quantity").loc["simulated minus predicted"]
        return bool(row.ci_low <= 0.0 <= row.ci_high)


def _with_spend(
    scenario: Scenario, spend: list[float], segment_spend: dict[str, list[float]] | None = None
) -> Scenario:
    data = scenario.model_dump()
    data["migration"] = {**data["migration"], "spend": spend, "segment_spend": segment_spend or {}, "plan": ""}
    return Scenario.model_validate(data)


def _rung_counts(panel: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Customers in a relationship per rung: (mean over months, at month 0), one row per replication."""
    alive = panel[panel["stage"] != "dissolution"]
    by = (
        alive.groupby(["replication", "period", "rung"])
        .size()
        .unstack(fill_value=0)
        .reindex(columns=range(1, N_RUNGS + 1), fill_value=0)
    )
    reps = sorted(panel["replication"].unique())
    held = by.groupby(level="replication").mean().reindex(reps, fill_value=0.0).to_numpy()
    start = (
        by.xs(0, level="period").reindex(reps, fill_value=0).to_numpy()
        if 0 in by.index.get_level_values("period")
        else np.zeros_like(held)
    )
    return held, start


@dataclass
class _Ladder:
    """The ladder of one group of customers (all, or a segment) estimated from the no-spend run."""

    name: str
    held: np.ndarray  # customers in a relationship per rung, mean over months and replications
    benefit: np.ndarray  # value of a one-rung move from each rung
    spread: np.ndarray | None  # its standard deviation over replications
    per_replication: list[tuple[np.ndarray, np.ndarray]]  # (P, margins) of each replication
    start: np.ndarray  # customers per rung at month 0, one row per replication


def _ladders(panel: pd.DataFrame, groups: list[str], benefit: Callable, reps: int) -> list[_Ladder]:
    """Estimate each group's rung-to-rung matrix, margins and move benefits from a customer-month panel."""
    out = []
    for g in groups:
        sub = panel if g == "all" else panel[panel["segment"] == g]
        held, start = _rung_counts(sub)
        P, margins, _ = ladder_from_panel(sub)
        per_rep = [ladder_from_panel(part)[:2] for _, part in sub.groupby("replication")]
        spread = np.array([benefit(p, m) for p, m in per_rep]).std(axis=0, ddof=1) if reps > 1 else None
        out.append(_Ladder(g, held.mean(axis=0), benefit(P, margins), spread, per_rep, start))
    return out


def migration_loop(
    scenario: Scenario,
    budget: float,
    replications: int | None = None,
    seed: int | None = None,
    kappa: float = 0.0,
    lifetime: bool = False,
    by_segment: bool = False,
    n_jobs: int = 1,
    progress: Callable[[int], None] | None = None,
) -> LoopReport:
    """Plan monthly migration spend for `budget` a month, predict its gain, and check it on fresh seeds.

    Moves are valued to the end of the horizon (what simulated customer
    equity measures) unless `lifetime`, which values them over the whole
    customer lifetime (worth more, but invisible to a finite simulation).
    With `by_segment`, each segment gets its own ladder estimate and spend.
    """
    check_levers(scenario, ["migration.spend"], "optimize migration")
    if not (np.isfinite(budget) and 0 <= budget <= 1e9):
        raise UsageError(f"--budget {budget}: give a monthly amount between 0 and 1e9")
    reps = replications or scenario.replications
    seed = scenario.seed if seed is None else seed
    base = _with_spend(scenario, [0.0] * N_RUNGS).with_overrides(record="customers")
    est = run(base, reps, seed, n_jobs=n_jobs, progress=progress)
    rate, horizon = scenario.monthly_discount_rate, scenario.horizon_months

    def benefit(p: np.ndarray, m: np.ndarray) -> np.ndarray:
        return rung_benefits(rung_values(p, m, rate)) if lifetime else horizon_benefits(p, m, rate, horizon)

    groups = [s.name for s in scenario.segments] if by_segment else ["all"]
    ladders = _ladders(est.customers, groups, benefit, reps)
    plan = _plan(ladders, budget, scenario.migration, kappa, by_segment)
    spend = plan["spend_per_customer"].to_numpy().reshape(len(groups), N_RUNGS)
    move = plan["move_probability"].to_numpy().reshape(len(groups), N_RUNGS)
    predicted = np.array(
        [
            sum(
                predicted_gain(*lad.per_replication[r], spend[k], move[k], lad.start[r], rate, horizon)
                for k, lad in enumerate(ladders)
            )
            for r in range(reps)
        ]
    )
    if by_segment:
        planned = _with_spend(base, [0.0] * N_RUNGS, {g: list(spend[k]) for k, g in enumerate(groups)})
    else:
        planned = _with_spend(base, list(spend[0]))
    # Uniform: what the plan spends, spread evenly over customers on rungs that can still climb.  A budget the
    # plan does not use (more money buys nothing) is not forced on the uniform arm either.
    spent = float(plan["total_spend"].sum())
    movable = sum(lad.held[: N_RUNGS - 1].sum() for lad in ladders)
    uniform = _with_spend(base, [spent / movable if movable > 0 else 0.0] * (N_RUNGS - 1) + [0.0])
    equity = {
        name: run(
            sc.with_overrides(record="aggregates"), reps, seed + CHECK_SEED_OFFSET, n_jobs=n_jobs, progress=progress
        )
        .replications["customer_equity"]
        .to_numpy()
        for name, sc in (("none", base), ("plan", planned), ("uniform", uniform))
    }
    notes = []
    if spent < 0.99 * budget:
        notes.append(
            f"the plan spends {spent:,.0f} of the {budget:,.0f} a month: beyond that no move is worth its cost, "
            f"so the rest of the budget buys nothing (the uniform arm spends the same {spent:,.0f})"
        )
    comparison = _migration_comparison(equity, predicted)
    return LoopReport(plan=plan, comparison=comparison, estimation=est, scenario=planned, notes=notes)


def _plan(ladders: list[_Ladder], budget: float, mg, kappa: float, by_segment: bool) -> pd.DataFrame:
    """The optimal spend per rung (and segment) for the estimated ladders."""
    groups = [lad.name for lad in ladders]
    labels = pd.DataFrame(
        {"segment": np.repeat(groups, N_RUNGS), "rung": np.tile(np.arange(1, N_RUNGS + 1), len(groups))}
    )
    spreads = [lad.spread for lad in ladders]
    return plan_spend(
        np.concatenate([lad.held for lad in ladders]),
        np.concatenate([lad.benefit for lad in ladders]),
        budget,
        mg.p_max,
        mg.scale,
        spread=None if any(s is None for s in spreads) else np.concatenate(spreads),
        kappa=kappa,
        labels=labels if by_segment else labels.drop(columns="segment"),
    )


def _migration_comparison(equity: dict[str, np.ndarray], predicted: np.ndarray) -> pd.DataFrame:
    """Predicted against simulated gains (paired against no spend on the check's seeds)."""
    sim_gain = equity["plan"] - equity["none"]
    uni_gain = equity["uniform"] - equity["none"]
    return pd.DataFrame(
        [
            _row("predicted gain (Markov ladder)", predicted),
            _row("simulated gain, optimized plan", sim_gain),
            _row("simulated gain, uniform spend", uni_gain),
            _row("optimized minus uniform", sim_gain - uni_gain),
            _diff_row(sim_gain, predicted),
        ]
    )


def _diff_row(simulated: np.ndarray, predicted: np.ndarray) -> dict[str, float | str]:
    """Simulated minus predicted mean, with Welch's interval (the two come from independent runs)."""
    est = welch_interval(simulated, predicted)
    return {
        "quantity": "simulated minus predicted",
        "mean": est.mean,
        "ci_low": est.low,
        "ci_high": est.high,
        "replications": len(simulated),
    }


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
    the value of a holding is additive; fresh seeds test the estimate out of
    sample (the optimizer's curse shows as simulated below predicted).
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
    predicted_draws = x.to_numpy() @ (w - w_uniform)
    simulated = x2 @ (w - w_uniform)
    comparison = pd.DataFrame(
        [
            _row("predicted gain over uniform", predicted_draws),
            _row("simulated gain over uniform", simulated),
            _row("simulated value, optimized", x2 @ w),
            _row("simulated value, uniform", x2 @ w_uniform),
            _diff_row(simulated, predicted_draws),
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
