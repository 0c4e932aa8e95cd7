"""The customer portfolio closed loop: estimate values per segment (or customer), choose holdings, check them."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from optimize.errors import CovarianceWarning
from optimize.estimate import estimate
from optimize.portfolio import Constraints, Portfolio, held
from sim.engine.simulate import simulate
from sim.errors import UsageError
from sim.experiments import run
from sim.experiments.executors import map_jobs
from sim.results.referrals import tree_values
from sim.results.tables import Results
from sim.scenario import Scenario
from sim.workflows.checks import CHECK_SEED_OFFSET, LoopReport, diff_row, row


def _scenario_table(res: Results, level: str) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Value per unit held, for each replication (rows) and asset (columns); resource per unit; units available.

    A unit is a customer who came by itself (present at month 0, or in a
    later cohort) with the customers its referrals brought (its referral
    tree): whom the firm lets go refers nobody, so the value and the cost to
    serve of holding a customer are its tree's.
    """
    panel = res.customers
    i = res.scenario.monthly_discount_rate
    cost = (panel["cost_to_serve"] / (1 + i) ** panel["period"]).groupby([panel.replication, panel.customer]).sum()
    trees = []
    for r, lt in res.lifetimes.groupby("replication", sort=True):
        spent = cost.loc[r].reindex(lt.customer).fillna(0.0).to_numpy()
        refs = lt.referred_by.to_numpy()
        roots = refs < 0
        trees.append(
            pd.DataFrame(
                {
                    "replication": r,
                    "customer": lt.customer.to_numpy()[roots],
                    "segment": lt.segment.to_numpy()[roots],
                    "value": tree_values(lt.clv.to_numpy(), refs)[roots],
                    "cost": tree_values(spent, refs)[roots],
                }
            )
        )
    lt = pd.concat(trees, ignore_index=True)
    if level == "customer":  # the same customers in every replication (a fixed population)
        x = lt.pivot(index="replication", columns="customer", values="value")
        resource = lt.groupby("customer")["cost"].mean().reindex(x.columns).to_numpy()
        return x, resource, np.ones(x.shape[1])
    per = lt.groupby(["replication", "segment"], observed=True).agg(
        value=("value", "sum"), cost=("cost", "sum"), n=("value", "size")
    )
    x = (per["value"] / per["n"]).unstack()
    resource = (per["cost"] / per["n"]).groupby(level="segment", observed=True).mean().reindex(x.columns).to_numpy()
    available = per["n"].groupby(level="segment", observed=True).mean().reindex(x.columns).to_numpy()
    return x, resource, available


@dataclass(frozen=True)
class Chooser:
    """How holdings are chosen from a table of draws: mean-variance, robust to errors in the means with kappa."""

    resource: np.ndarray
    constraints: Constraints
    gamma: float
    kappa: float = 0.0

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """The holdings chosen from draws `x` (rows: replications, columns: assets)."""
        with warnings.catch_warnings():  # a resample repeats rows: its covariance is often near singular
            warnings.simplefilter("ignore", CovarianceWarning)
            est = estimate(x, resource=self.resource)
        return Portfolio(est, self.constraints, self.kappa).solve(self.gamma)["holding"].to_numpy()


def bootstrap(x: np.ndarray, resamples: int, seed: int) -> list[np.ndarray]:
    """`resamples` tables of rows drawn from `x` with replacement (replications are independent draws)."""
    rng = np.random.default_rng([seed, 20261126])
    return [x[rng.integers(0, len(x), len(x))] for _ in range(resamples)]


def _check_choice(scenario: Scenario, level: str, capacity_share: float) -> None:
    """Raise UsageError unless there is a choice to make: a known level, a capacity share, two segments or more."""
    if level not in ("segment", "customer"):
        raise UsageError(f"level = {level!r}: use segment or customer")
    if not (np.isfinite(capacity_share) and 1e-4 <= capacity_share <= 1):
        raise UsageError(f"--capacity {capacity_share}: give a share of the cost to serve everyone in [0.0001, 1]")
    if level == "segment" and len(scenario.segments) < 2:
        raise UsageError(
            "level = segment: this scenario has one segment, so there is no mix of segments to choose; "
            "add [[segments]] tables (see scenarios/segments.toml) or choose among customers (--level customer)"
        )


def portfolio_steps(scenario: Scenario, replications: int | None = None) -> int:
    """Replications :func:`portfolio_loop` runs: the estimation, then the plan and the even spread on fresh seeds."""
    return 3 * (replications or scenario.replications)


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
    kappa: float = 0.0,
) -> LoopReport:
    """Choose the efficient set of customers (or segments) for a capacity, and play it on fresh seeds.

    Holding one unit of an asset earns its lifetime value (with the residual
    after the horizon, ``[valuation]``) and uses its discounted cost to serve
    over the horizon; capacity is `capacity_share` of the cost to serve
    everyone.  Without `gamma` the point chosen is the one with the most
    value at no more risk than spreading the capacity evenly (:func:`default_gamma`).  `kappa` makes
    the choice robust to errors in the estimated means.  The prediction is the in-sample
    gain less its selection optimism (:func:`selection_optimism`).  The check
    has the simulated firm serve the chosen holdings (segments' ``served``
    shares, or chosen customers) and, on the same fresh seeds, the same
    capacity spread evenly, so referrals and competition act on both.
    """
    _check_choice(scenario, level, capacity_share)
    reps = replications or scenario.replications
    seed = scenario.seed if seed is None else seed
    sc = scenario.with_overrides(
        record="customers", population={**scenario.population.model_dump(), "fixed": level == "customer"}
    )
    est_run = run(sc, reps, seed, n_jobs=n_jobs, progress=progress)
    x, resource, available = _scenario_table(est_run, level)
    resource = np.maximum(resource, 1e-6 * max(float(resource.mean()), 1.0))  # a unit always uses some capacity
    capacity = capacity_share * float(resource @ available)
    con = Constraints(capacity=capacity, upper=available)
    port = Portfolio(estimate(x, resource=resource), con, kappa)
    frontier = _frontier(port, capacity, points)
    w_uniform = available * capacity_share  # the same capacity spread evenly
    if gamma is None:
        gamma = default_gamma(port, frontier, float(np.sqrt(max(port.est.variance(w_uniform), 0.0))))
    choose = Chooser(resource, con, gamma, kappa)
    draws = x.to_numpy()
    chosen = port.solve(gamma)
    w = chosen["holding"].to_numpy()

    in_sample = draws @ (w - w_uniform)
    predicted = in_sample - selection_optimism(draws, choose, w_uniform)
    check_seed = seed + CHECK_SEED_OFFSET
    policy = play(sc, level, x.columns, w / available, reps, check_seed, n_jobs, progress)
    uniform = play(sc, level, x.columns, np.full(len(w), capacity_share), reps, check_seed, n_jobs, progress)
    simulated = policy[:, 0] - uniform[:, 0]
    comparison = pd.DataFrame(
        [
            row("predicted gain over uniform (corrected for selection)", predicted),
            row("in-sample gain over uniform (uncorrected)", in_sample),
            row("simulated gain over uniform", simulated),
            row("simulated value, optimized", policy[:, 0]),
            row("simulated value, uniform", uniform[:, 0]),
            row("capacity used, optimized (share of capacity)", policy[:, 1] / capacity),
            row("capacity used, uniform (share of capacity)", uniform[:, 1] / capacity),
            diff_row(simulated, predicted),
        ]
    )
    frontier["chosen"] = np.isclose(frontier["gamma"], gamma)
    if not frontier["chosen"].any():
        frontier = pd.concat(
            [frontier, pd.DataFrame([{"gamma": gamma, **_point(chosen), "chosen": True}])], ignore_index=True
        )
    stability = holdings_stability(draws, choose, w, resource, capacity, list(x.columns))
    return LoopReport(
        plan=chosen,
        comparison=comparison,
        frontier=frontier.sort_values("gamma").reset_index(drop=True),
        estimation=est_run,
        scenario=with_served(scenario, level, x.columns, w / available),
        notes=_notes(stability, level, reps),
        stability=stability,
    )


RESAMPLES = 30  # bootstrap resamples for the stability report


def _frontier(port: Portfolio, capacity: float, points: int) -> pd.DataFrame:
    """The efficient frontier, its points spent where the mix changes."""
    frontier = port.frontier(points=points)
    # Past the largest risk aversion at which capacity binds, holdings only shrink pro rata (a ray from
    # the origin); spend the frontier's points where the mix changes instead.
    binding = frontier[frontier["resource_used"] >= 0.99 * capacity]
    if len(binding) >= 2:
        frontier = port.frontier(np.geomspace(frontier["gamma"].min(), binding["gamma"].max() * 1.5, points))
    return frontier


def with_served(scenario: Scenario, level: str, assets: pd.Index, share: np.ndarray) -> Scenario:
    """The scenario whose firm serves `share` of each segment (at customer level the scenario is unchanged)."""
    if level != "segment":
        return scenario
    of = dict(zip(map(str, assets), np.clip(share, 0.0, 1.0).round(4), strict=True))  # drop solver noise
    segments = [{**s.model_dump(), "served": float(of.get(s.name, 0.0))} for s in scenario.segments]
    return scenario.with_overrides(segments=segments)


def play(
    scenario: Scenario,
    level: str,
    assets: pd.Index,
    share: np.ndarray,
    reps: int,
    seed: int,
    n_jobs: int,
    progress: Callable[[int], None] | None,
) -> np.ndarray:
    """Customer equity and discounted cost to serve per replication when the firm serves `share` of each asset."""
    sc = with_served(scenario, level, assets, share).with_overrides(record="aggregates")
    chance = None
    if level == "customer":
        chance = np.zeros(scenario.population.customers)
        chance[assets.to_numpy(dtype=int)] = np.clip(share, 0.0, 1.0)
    jobs = [(sc, r, seed, chance) for r in range(reps)]
    return np.array(map_jobs(_value_and_cost, jobs, n_jobs, progress))


def _value_and_cost(scenario: Scenario, replication: int, seed: int, chance: np.ndarray | None) -> tuple[float, float]:
    rep = simulate(scenario, replication, seed, served=chance)
    c = rep.customers
    discount = (1.0 + scenario.monthly_discount_rate) ** -np.arange(scenario.horizon_months)
    return float(c.lifetime_value(slice(0, c.n)).sum()), float(rep.recorder.totals[:, 1] @ discount)


FOLDS = 5  # folds of replications for the selection correction


def selection_optimism(x: np.ndarray, choose: Callable[[np.ndarray], np.ndarray], reference: np.ndarray) -> float:
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
    for fold in folds:
        train = np.setdiff1d(np.arange(n), fold)
        w = choose(x[train])
        gaps.append((x[train].mean(axis=0) - x[fold].mean(axis=0)) @ (w - reference))
    train_size = n - n / len(folds)
    return float(np.mean(gaps)) * train_size / n


def holdings_stability(
    x: np.ndarray,
    choose: Callable[[np.ndarray], np.ndarray],
    w: np.ndarray,
    resource: np.ndarray,
    capacity: float,
    assets: list[str],
) -> pd.DataFrame:
    """How the chosen holdings move when the estimation replications are resampled (one row per asset).

    `moved` is the share of the capacity a resample puts elsewhere than the
    chosen holdings do (half the resource-weighted absolute change), averaged.
    """
    draws = np.array([choose(xb) for xb in bootstrap(x, RESAMPLES, 1)])
    moved = 0.5 * np.abs((draws - w) * resource).sum(axis=1) / capacity
    return pd.DataFrame(
        {
            "asset": assets,
            "holding": w,
            "bootstrap_mean": draws.mean(axis=0),
            "bootstrap_low": np.quantile(draws, 0.05, axis=0),
            "bootstrap_high": np.quantile(draws, 0.95, axis=0),
            "held_in_share": np.array([held(d) for d in draws]).mean(axis=0),
            "capacity_moved": float(moved.mean()),
        }
    )


UNSETTLED = 0.10  # share of the capacity moving between resamples above which the command warns
# Estimation replications below which the command warns whatever the resamples say: on the segments scenario, 10
# replications on one seed chose public-sector accounts that every resample also held (README: Too few replications).
FEW = 20


def _notes(stability: pd.DataFrame, level: str, replications: int) -> list[str]:
    moved = float(stability["capacity_moved"].iloc[0])
    notes = [
        f"on bootstrap resamples of the estimation replications, {moved:.0%} of the capacity moves to other "
        f"{level}s on average (stability.csv); --kappa makes the choice steadier"
    ]
    wavering = stability[stability["held_in_share"].between(0.1, 0.9)]
    if moved > UNSETTLED and len(wavering) and level == "segment":
        held = ", ".join(f"{r.asset} in {r.held_in_share:.0%}" for r in wavering.itertuples())
        notes.append(
            f"the choice is not settled: resamples hold {held} of them; run more replications (-r) before acting on it"
        )
    if replications < FEW:
        notes.append(
            f"the choice rests on {replications} replications: a sample this small can mislead as a whole, which "
            f"resampling it cannot show; rerun with -r {FEW} or more and compare the holdings before acting on them"
        )
    return notes


def default_gamma(port: Portfolio, frontier: pd.DataFrame, even_std: float, steps: int = 40) -> float:
    """The least risk aversion whose efficient point is no riskier than the even spread (`even_std`).

    Spreading the capacity evenly is the plan a firm has without the
    optimizer; the efficient point at its risk earns at least its value, so
    the default gains in value without adding risk.  (The best value per unit
    of risk is no default: with every asset worth holding it is the
    minimum-variance end, which gives up most of the value.)  Risk falls as
    gamma rises, so the frontier's points bracket it and bisection (in log
    gamma) finds it.  If every point is riskier, the least risky one.
    """
    safe = frontier["std"] <= even_std * (1 + 1e-9)
    if not safe.any():
        return float(frontier.loc[frontier["std"].idxmin(), "gamma"])
    if safe.all():
        return float(frontier["gamma"].min())
    lo, hi = np.log(frontier.loc[~safe, "gamma"].max()), np.log(frontier.loc[safe, "gamma"].min())
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        if port.solve(float(np.exp(mid)))["portfolio_std"].iloc[0] <= even_std * (1 + 1e-9):
            hi = mid
        else:
            lo = mid
    return float(np.exp(hi))


def _point(table: pd.DataFrame) -> dict[str, float]:
    return {
        "expected_value": float(table.portfolio_value.iloc[0]),
        "std": float(table.portfolio_std.iloc[0]),
        "resource_used": float(table.resource.sum()),
        "shadow_price": float(table.shadow_price.iloc[0]),
    }
