"""Portfolio solve times: one solve and a 50-point frontier, dense and factor risk, by portfolio size.

    python bench/portfolio.py [--assets 100 1000 10000] [--scenarios 200]

Scenarios are synthetic (a few common factors plus noise) with the shape of
simulated replications.  The frontier reuses one DPP-compiled problem; the
"rebuild" column rebuilds the problem for every point, for comparison.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from optimize.estimate import estimate
from optimize.portfolio import Constraints, Portfolio


def scenarios(n: int, s: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(s, 5)) @ rng.normal(size=(5, n)) + rng.normal(size=(s, n)) + rng.uniform(0.5, 1.5, n)


def timed(f) -> float:
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def solve_times(est, con: Constraints, points: int, frontier: bool = True) -> dict[str, float]:
    """Seconds for a first solve, a re-solve at another risk aversion, and (optionally) a `points`-point frontier.

    The frontier reuses one DPP-compiled problem; "rebuilding" builds the
    problem anew for each point (timed on up to 5 points and scaled), for comparison.
    """
    port = Portfolio(est, con)
    gammas = port.default_gammas(points)
    out = {
        "first_solve_s": timed(lambda: port.solve(float(gammas[0]))),
        "next_solve_s": timed(lambda: port.solve(float(gammas[points // 2]))),
    }
    if frontier:
        out["frontier_s"] = timed(lambda: port.frontier(gammas))
        some = gammas[:5]
        out["frontier_rebuilding_s"] = (
            timed(lambda: [Portfolio(est, con).solve(float(g)) for g in some]) * len(gammas) / len(some)
        )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--assets", type=int, nargs="+", default=[100, 1000, 10_000])
    ap.add_argument("--scenarios", type=int, default=200)
    ap.add_argument("--points", type=int, default=50)
    args = ap.parse_args()
    rows = []
    for n in args.assets:
        x = scenarios(n, args.scenarios)
        con = Constraints(capacity=1.0, upper=10.0 / n)
        for method in ("ledoit_wolf", "factor") if n <= 1000 else ("factor",):
            rows.append({"assets": n, "risk": method, **solve_times(estimate(x, method=method), con, args.points)})
    df = pd.DataFrame(rows)
    df["speedup_from_dpp"] = df["frontier_rebuilding_s"] / df["frontier_s"]
    print(f"{args.points}-point frontier, {args.scenarios} scenarios, capacity 1, position limit 10/n")
    print(df.to_string(index=False, float_format=lambda v: f"{v:.2f}"))


if __name__ == "__main__":
    main()
