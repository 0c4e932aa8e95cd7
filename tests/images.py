"""Fixed inputs and the figures drawn from them, for the image regression and tick-overlap tests.

The inputs are small results tables stored in ``tests/data/plots/`` (made once
by a short simulation, then fixed), so a baseline image changes only when the
drawing code changes, never with the model.  After a deliberate change to a
plot, look at the new images and rewrite the baselines::

    python -m tests.images            # redraw tests/data/plots/*.png from the stored inputs
    python -m tests.images --inputs   # also re-simulate the inputs (after a change to the results tables)
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from functools import cache
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from sim.viz import plotting as pl

DATA = Path(__file__).with_name("data") / "plots"
SWEPT = ["segments[*].wallet_median", "segments[*].need_uncertainty.mean"]


def make_inputs() -> None:
    """Simulate the small results the figures are drawn from, and store them as CSV."""
    from sim.experiments import compare, paired_differences, run, summarize_sweep, sweep
    from tests.conftest import small

    sc = small(
        replications=3,
        horizon_months=18,
        population={"customers": 200, "referral_pool": 0.5},
        segments=[{"name": "small", "share": 0.6}, {"name": "large", "share": 0.4, "wallet_median": 3000.0}],
    )
    res = run(sc)
    res.occupancy.to_csv(DATA / "occupancy.csv", index=False)
    res.lifetimes.to_csv(DATA / "lifetimes.csv", index=False)
    res.customers[res.customers.replication == 0].to_csv(DATA / "panel.csv", index=False)
    pl.customer_summary(res).to_csv(DATA / "summary.csv", index=False)
    arms = {"fitd": {}, "all_at_once": {"strategy.account_growth": "all_at_once"}}
    paired_differences(compare(sc, arms, n_jobs=1), "fitd").to_csv(DATA / "differences.csv", index=False)
    grid = {SWEPT[0]: [500.0, 2000.0, 6000.0], SWEPT[1]: [0.2, 0.8]}
    table = sweep(sc, grid, variants=arms, n_jobs=1)
    paired_differences(table, "fitd", kpis=["profit"], by=["point", *SWEPT]).to_csv(DATA / "sweep2.csv", index=False)
    one = sweep(sc, {SWEPT[0]: grid[SWEPT[0]]}, variants={}, n_jobs=1)
    summarize_sweep(one, [SWEPT[0]], "profit")[0].to_csv(DATA / "sweep1.csv", index=False)


@cache
def table(name: str) -> pd.DataFrame:
    """A stored input table."""
    return pd.read_csv(DATA / f"{name}.csv")


FRONTIER = pd.DataFrame(
    {
        "gamma": [0.1, 0.3, 1.0, 3.0, 10.0],
        "expected_value": [310_000.0, 290_000.0, 250_000.0, 180_000.0, 120_000.0],
        "std": [90_000.0, 60_000.0, 38_000.0, 25_000.0, 20_000.0],
        "chosen": [False, False, True, False, False],
    }
)
PLAN = pd.DataFrame(
    {
        "rung": range(1, 9),
        "spend_per_customer": [0.0, 0.0, 1.0, 10.0, 11.0, 8.0, 8.0, 0.0],
        "move_probability": [0.0, 0.0, 0.01, 0.04, 0.04, 0.03, 0.03, 0.0],
    }
)

#: Every figure under test, drawn from the fixed inputs.
FIGURES: dict[str, Callable[[], Figure]] = {
    "occupancy": lambda: pl.plot_occupancy(table("occupancy"), table("lifetimes")),
    "migration_matrix": lambda: pl.plot_migration_matrix(table("panel")),
    "clv_distribution": lambda: pl.plot_clv_distribution(table("lifetimes")),
    "quadrants_loyalty_effort": lambda: pl.plot_portfolio_quadrants(table("summary"), "loyalty_effort"),
    "quadrants_profitability_loyalty": lambda: pl.plot_portfolio_quadrants(table("summary"), "profitability_loyalty"),
    "comparison": lambda: pl.plot_comparison(table("differences")),
    "sweep_heatmap": lambda: pl.plot_sweep(table("sweep2"), "difference", *SWEPT),
    "sweep_line": lambda: pl.plot_sweep(table("sweep1"), "profit", SWEPT[0]),
    "frontier": lambda: pl.plot_frontier(FRONTIER),
    "spend_plan": lambda: pl.plot_spend_plan(PLAN),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--inputs", action="store_true", help="re-simulate the stored input tables first")
    args = ap.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    if args.inputs:
        make_inputs()
    for name, draw in FIGURES.items():
        pl.save_figure(draw(), DATA / name, formats=("png",))
        print(f"wrote {DATA / name}.png")


if __name__ == "__main__":
    main()
