"""What the residual value costs and how near the state-based one comes to the run-off, side by side in one process.

    python bench/valuation.py [--reps 10]

For the baseline (60 months), the segments scenario and both arms of the FITD
study, times ``simulate`` per replication with ``[valuation] residual =
"none"``, ``"run_off"`` and ``"state"``, alternating, and prints the median of
each, the ratios to "none", and the state-based residual as a share of the
run-off's on the same seeds (the mean over replications, its range, and the
correlation of the two customer by customer), by segment where there are
several.  Also how much of the residual the run-off's stopping rule leaves
out (the same customers' residual with a tolerance 100 times smaller).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from sim import load_scenario
from sim.engine.simulate import simulate

ROOT = Path(__file__).resolve().parents[1]
RESIDUALS = ("none", "run_off", "state")


def _run(scenario, replication: int) -> tuple[float, np.ndarray, np.ndarray]:
    start = time.perf_counter()
    c = simulate(scenario, replication).customers
    return time.perf_counter() - start, c.residual[: c.n].copy(), c.segment[: c.n].copy()


def _studies() -> dict:
    def scenario(name: str):
        return load_scenario(ROOT / "scenarios" / f"{name}.toml").with_overrides(record="aggregates")

    fitd = scenario("fitd_vs_all_at_once")
    return {
        "baseline": scenario("baseline"),
        "segments": scenario("segments"),
        "fitd: foot_in_the_door": fitd,
        "fitd: all_at_once": fitd.with_overrides(strategy={"account_growth": "all_at_once"}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10)
    args = parser.parse_args()
    print(f"{'scenario':<24}{'none s':>8}{'run-off':>9}{'state':>7}  state/run-off residual (range; corr)  left out")
    for name, sc in _studies().items():
        arms = {res: sc.with_overrides(valuation={"residual": res}) for res in RESIDUALS}
        for arm in arms.values():
            simulate(arm, 0)  # compile and warm up
        times, shares, corr, by_segment = {res: [] for res in arms}, [], [], {}
        for r in range(args.reps):
            got = {res: _run(arm, r) for res, arm in arms.items()}
            for res in arms:
                times[res].append(got[res][0])
            run_off, state, segment = got["run_off"][1], got["state"][1], got["run_off"][2]
            shares.append(state.sum() / run_off.sum())
            corr.append(np.corrcoef(run_off, state)[0, 1])
            for s in np.unique(segment):
                by_segment.setdefault(int(s), []).append(state[segment == s].sum() / run_off[segment == s].sum())
        none, run_off, state = (np.median(times[res]) for res in RESIDUALS)
        fine = arms["run_off"].with_overrides(valuation={"tolerance": sc.valuation.tolerance / 100})
        left = 1 - sum(_run(arms["run_off"], r)[1].sum() for r in range(3)) / sum(
            _run(fine, r)[1].sum() for r in range(3)
        )
        share = f"{np.mean(shares):.3f} ({min(shares):.2f} to {max(shares):.2f}; {np.mean(corr):.2f})"
        print(f"{name:<24}{none:>8.3f}{run_off / none:>8.2f}x{state / none:>6.2f}x  {share:<37}{left:>8.2%}")
        if len(by_segment) > 1:
            for s, v in by_segment.items():
                print(f"{'':<4}segment {s}: state/run-off {np.mean(v):.3f} ({min(v):.2f} to {max(v):.2f})")


if __name__ == "__main__":
    main()
