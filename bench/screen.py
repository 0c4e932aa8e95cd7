"""One-at-a-time screen: which parameters move profit most over a plausible range (half to one and a half times).

    python bench/screen.py [--customers 1000] [--months 48] [-r 3] [--out runs/screen.csv]

Every numeric parameter of the baseline (a rung or stage table as a whole) is
set to 0.5x and 1.5x its default, clipped to what the schema allows, and
each run is paired with the baseline on common random numbers.  The swing is
|profit(high) - profit(low)| over |profit(baseline)|; README lists the
parameters whose swing passes 20% as the ones to set first.  A screen, not a
global sensitivity analysis: it ignores interactions between parameters.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from sim import Scenario, apply_overrides, compare
from sim.scenario import ScenarioError

SKIP = (
    "seed",
    "replications",
    "horizon_months",
    "population",
    "markov",
    "compare",
    "sweep",
    "migration",
    "investments",
)
SKIP_LEAVES = (
    "share",
    "initial_rungs",
    "initial_stages",
    "buy_till_you_die",
    "review_months",
    "min_tenure_months",
    "max_steps",
    "max_products",
    "initial_size",
    "min_purchases",
    "loyal_rung",
)


def numeric_paths(data: dict, prefix: str = "") -> dict[str, object]:
    """Dotted path -> default of every numeric parameter (segments as segments[*])."""
    out: dict[str, object] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if path in SKIP or key in SKIP_LEAVES:
            continue
        if isinstance(value, dict):
            out.update(numeric_paths(value, path + "."))
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            out.update(numeric_paths(value[0], path + "[*]."))
        elif isinstance(value, bool):
            continue
        elif (
            isinstance(value, (int, float))
            and value != 0
            or isinstance(value, list)
            and value
            and all(isinstance(v, (int, float)) for v in value)
            and any(value)
        ):
            out[path] = value
    return out


def scaled(value, factor: float):
    """`value` (a number or a list) times `factor`."""
    return [v * factor for v in value] if isinstance(value, list) else type(value)(value * factor)


def screen(base: Scenario, reps: int, only: list[str] | None = None) -> pd.DataFrame:
    """Profit at 0.5x and 1.5x each parameter (or those in `only`), paired with the baseline; one row per parameter."""
    rows = []
    params = numeric_paths(base.model_dump())
    params = {k: v for k, v in params.items() if only is None or k in only}
    for path, value in params.items():
        arms = {"base": {}}
        for label, factor in (("low", 0.5), ("high", 1.5)):
            try:
                apply_overrides(base, {path: scaled(value, factor)})
                arms[label] = {path: scaled(value, factor)}
            except ScenarioError:  # out of the allowed range: stay at the default on that side
                pass
        table = compare(base, arms, replications=reps).groupby("variant")["profit"].mean()
        rows.append(
            {"parameter": path, "default": value, **{f"profit_{k}": table.get(k) for k in ("low", "base", "high")}}
        )
    out = pd.DataFrame(rows)
    lo = out["profit_low"].fillna(out["profit_base"])
    hi = out["profit_high"].fillna(out["profit_base"])
    out["swing"] = (hi - lo).abs() / out["profit_base"].abs()
    return out.sort_values("swing", ascending=False).reset_index(drop=True)


def main() -> None:
    """Run the screen and print the parameters ranked by swing."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--customers", type=int, default=1000)
    ap.add_argument("--months", type=int, default=48)
    ap.add_argument("-r", "--replications", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path("runs/screen.csv"))
    a = ap.parse_args()
    base = Scenario(horizon_months=a.months, record="aggregates", population={"customers": a.customers})
    table = screen(base, a.replications)
    a.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(a.out, index=False)
    print(table.head(30).to_string(float_format=lambda x: f"{x:,.2f}"))


if __name__ == "__main__":
    main()
