"""The plan the Markov ladder chooses: direct rung moves valued by a rung-to-rung chain (Pfeifer and Carraway 2000).

Exact in Markov mode, where the market is that chain: the optimizer's
prediction is the closed-form value of the policy.  In the agent model it is
the benchmark the measured plan (:mod:`sim.workflows.migration`) has to beat:
the ladder estimated without spend cannot know that a customer pushed up a
rung without more trust drifts back down.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimize.migration import (
    horizon_benefits,
    ladder_from_panel,
    plan_spend,
    predicted_gain,
    rung_benefits,
    rung_values,
)
from sim.experiments import run
from sim.scenario import Scenario
from sim.stages import N_RUNGS
from sim.workflows.checks import CHECK_SEED_OFFSET, LoopReport, diff_row, row


def with_spend(scenario: Scenario, spend: list[float], segment_spend: dict[str, list[float]] | None = None) -> Scenario:
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


def ladder_plan(
    base: Scenario, panel: pd.DataFrame, budget: float, kappa: float, lifetime: bool, by_segment: bool, reps: int
) -> tuple[pd.DataFrame, Scenario, np.ndarray]:
    """The direct-move plan the Markov ladder chooses from a no-spend panel: (plan table, scenario, predicted gains).

    Moves are valued over the whole customer lifetime when `lifetime` or when
    the scenario values customers after the horizon (``[valuation] residual``:
    what simulated customer equity then measures), and to the end of the
    horizon otherwise.  The predicted gain of each replication is exact for a
    Markov market: the policy evaluated as a chain from that replication's start.
    """
    lifetime = lifetime or base.valuation.residual != "none"
    rate, horizon = base.monthly_discount_rate, (None if lifetime else base.horizon_months)

    def benefit(p: np.ndarray, m: np.ndarray) -> np.ndarray:
        return rung_benefits(rung_values(p, m, rate)) if horizon is None else horizon_benefits(p, m, rate, horizon)

    groups = [s.name for s in base.segments] if by_segment else ["all"]
    ladders = _ladders(panel, groups, benefit, reps)
    plan = _plan(ladders, budget, base.migration, kappa, by_segment)
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
        planned = with_spend(base, [0.0] * N_RUNGS, {g: list(spend[k]) for k, g in enumerate(groups)})
    else:
        planned = with_spend(base, list(spend[0]))
    return plan, planned, predicted


def markov_loop(
    scenario: Scenario,
    budget: float,
    reps: int,
    seed: int,
    kappa: float,
    lifetime: bool,
    by_segment: bool,
    n_jobs: int,
    progress: Callable[[int], None] | None,
) -> LoopReport:
    """Markov mode: plan direct rung moves on the estimated ladder, predict exactly, check on fresh seeds."""
    base = with_spend(scenario, [0.0] * N_RUNGS).with_overrides(record="customers")
    est = run(base, reps, seed, n_jobs=n_jobs, progress=progress)
    plan, planned, predicted = ladder_plan(base, est.customers, budget, kappa, lifetime, by_segment, reps)
    # Uniform: what the plan spends, spread evenly over customers on rungs that can still climb.  A budget the
    # plan does not use (more money buys nothing) is not forced on the uniform arm either.
    spent = float(plan["total_spend"].sum())
    held = _rung_counts(est.customers)[0].mean(axis=0)
    movable = held[: N_RUNGS - 1].sum()
    uniform = with_spend(base, [spent / movable if movable > 0 else 0.0] * (N_RUNGS - 1) + [0.0])
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
            row("predicted gain (Markov ladder)", predicted),
            row("simulated gain, optimized plan", sim_gain),
            row("simulated gain, uniform spend", uni_gain),
            row("optimized minus uniform", sim_gain - uni_gain),
            diff_row(sim_gain, predicted),
        ]
    )
