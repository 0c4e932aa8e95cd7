"""How long the closed loops take, against a plain run of the same scenario and replications.

    python bench/loops.py [--reps 10] [--jobs 1] [--customers N --months M] [--out runs/loops.csv]

Times `crmsim optimize migration scenarios/baseline.toml` (budget 5,000) and
`crmsim optimize portfolio scenarios/segments.toml` (capacity 0.5) as their
Python functions, each against `run` of its scenario with the same
replications in the same process: the ratio says how many plain runs a loop
costs, which travels between machines better than seconds.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from sim.experiments import run
from sim.scenario import load_scenario
from sim.workflows.migration import migration_loop
from sim.workflows.portfolio import portfolio_loop

ROOT = Path(__file__).resolve().parents[1]


def timed(fn, *args, **kwargs) -> float:
    """Seconds one call takes."""
    t = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - t


def loop_times(reps: int, jobs: int, customers: int | None = None, months: int | None = None) -> pd.DataFrame:
    """One row per loop: its time, a plain run's, and their ratio."""
    rows = []
    for name, path, loop, kwargs in (
        ("optimize migration, budget 5,000", "baseline.toml", migration_loop, {"budget": 5000.0}),
        ("optimize portfolio, capacity 0.5", "segments.toml", portfolio_loop, {"capacity_share": 0.5}),
    ):
        sc = load_scenario(ROOT / "scenarios" / path)
        if customers:
            sc = sc.with_overrides(population={**sc.population.model_dump(), "customers": customers})
        if months:
            sc = sc.with_overrides(horizon_months=months)
        plain = timed(run, sc.with_overrides(record="aggregates"), reps, n_jobs=jobs)
        took = timed(loop, sc, replications=reps, n_jobs=jobs, **kwargs)
        rows.append({"loop": f"{name}, {path}", "seconds": took, "plain_run_seconds": plain, "ratio": took / plain})
        print(f"{rows[-1]['loop']:60s} {took:8.1f} s   plain run {plain:6.2f} s   {took / plain:6.1f}x", flush=True)
    return pd.DataFrame(rows).assign(replications=reps, jobs=jobs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=10, help="replications (the shipped scenarios use 10)")
    ap.add_argument("--jobs", type=int, default=1, help="parallel processes (the commands' default is 1)")
    ap.add_argument("--customers", type=int, default=None, help="override the scenarios' customers (tests)")
    ap.add_argument("--months", type=int, default=None, help="override the scenarios' horizon (tests)")
    ap.add_argument("--out", default="runs/loops.csv", help="where to write the table")
    args = ap.parse_args()
    table = loop_times(args.reps, args.jobs, args.customers, args.months)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
