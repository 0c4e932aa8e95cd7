"""What the residual value costs: one replication with and without the run-off, side by side in one process.

    python bench/valuation.py [--reps 10]

For the baseline (60 months) and the FITD study (48 months), times
``simulate`` per replication with ``[valuation] residual = "none"`` and
``"run_off"``, alternating, and prints the median of each and their ratio,
with how much of the residual the run-off's stopping rule leaves out (the
same customers' residual with a tolerance 100 times smaller).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from sim import load_scenario
from sim.engine.simulate import simulate

ROOT = Path(__file__).resolve().parents[1]


def _seconds(scenario, replication: int) -> float:
    start = time.perf_counter()
    simulate(scenario, replication)
    return time.perf_counter() - start


def _residual(scenario, reps: int) -> float:
    return float(np.mean([simulate(scenario, r).customers.residual.sum() for r in range(reps)]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10)
    args = parser.parse_args()
    print(f"{'scenario':<24}{'none s':>9}{'run-off s':>11}{'ratio':>8}{'left out':>10}")
    for name in ("baseline", "fitd_vs_all_at_once"):
        sc = load_scenario(ROOT / "scenarios" / f"{name}.toml").with_overrides(record="aggregates")
        arms = {res: sc.with_overrides(valuation={"residual": res}) for res in ("none", "run_off")}
        for arm in arms.values():
            simulate(arm, 0)  # compile and warm up
        times = {res: [] for res in arms}
        for r in range(args.reps):
            for res, arm in arms.items():
                times[res].append(_seconds(arm, r))
        none, run_off = np.median(times["none"]), np.median(times["run_off"])
        fine = sc.with_overrides(valuation={"tolerance": sc.valuation.tolerance / 100})
        left = 1 - _residual(arms["run_off"], 3) / _residual(fine, 3)
        print(f"{name:<24}{none:>9.3f}{run_off:>11.3f}{run_off / none:>8.2f}{left:>10.2%}")


if __name__ == "__main__":
    main()
