"""Reference configurations whose KPI tables are pinned (tests/data/reference_kpis.csv).

Refactors must leave these tables unchanged; a change of random streams or of
the model is made on purpose in one commit that re-pins them and says why::

    python -m tests.reference      # rewrite the pins
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim import load_scenario, run
from sim.scenario import Scenario, build_scenario
from tests.sim.test_markov import LADDER_WITH_CHURN

ROOT = Path(__file__).resolve().parents[1]
PINS = Path(__file__).with_name("data") / "reference_kpis.csv"


def _small(scenario: Scenario, **changes) -> Scenario:
    data = scenario.model_dump()
    # Value stops at the horizon, as it did when these were pinned; "baseline_run_off" pins the residual value.
    data.update(
        {"horizon_months": 24, "replications": 2, "compare": {}, "sweep": {}, "valuation": {"residual": "none"}}
    )
    data["population"] = {**data["population"], "customers": 400}
    for key, value in changes.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) and isinstance(data.get(key), dict) else value
    return build_scenario(data)


def configurations() -> dict[str, Scenario]:
    """The pinned configurations, small enough to run in a few seconds together."""
    base = load_scenario(ROOT / "scenarios" / "baseline.toml")
    study = load_scenario(ROOT / "scenarios" / "fitd_vs_all_at_once.toml")
    segments = load_scenario(ROOT / "scenarios" / "segments.toml")
    spend = [0.0, 5.0, 10.0, 10.0, 5.0, 0.0, 0.0, 0.0]
    return {
        "baseline": _small(base),
        "baseline_run_off": _small(base, valuation={"residual": "run_off"}),
        "study_fitd": _small(study, strategy={"account_growth": "foot_in_the_door"}),
        "study_all_at_once": _small(study, strategy={"account_growth": "all_at_once"}),
        "segments": _small(segments),
        "collaborative_policy_migration": _small(
            base,
            strategy={"posture": "collaborative", "offering": "augmented"},
            portfolio_policy={"scheme": "value", "review_months": 6, "min_tenure_months": 3},
            migration={"spend": spend},
        ),
        "existing_base": _small(
            base,
            segments=[
                {"initial_stages": [0.4, 0.2, 0.2, 0.2], "initial_rungs": [0.05, 0.1, 0.15, 0.2, 0.2, 0.15, 0.1, 0.05]}
            ],
            purchasing={"referral_rate": [0.0, 0.0, 0.0, 0.0, 0.0, 0.05, 0.1, 0.2]},
        ),
        "markov": _small(
            base, behaviour="markov", markov={"transitions": LADDER_WITH_CHURN.tolist()}, migration={"spend": spend}
        ),
        "bgnbd": _small(base, behaviour="bgnbd", segments=[{"buy_till_you_die": {}}]),
    }


def kpi_table() -> pd.DataFrame:
    """Every configuration's replications table plus occupancy and CLV checksums (one row per replication)."""
    frames = []
    for name, sc in configurations().items():
        res = run(sc)
        occ = res.occupancy.assign(w=lambda d: d.customers * (d.period + 1) * (d.level + 1))
        checks = pd.DataFrame(
            {
                "occupancy_checksum": occ.groupby("replication")["w"].sum().to_numpy(dtype=float),
                "clv_sum_sq": res.lifetimes.groupby("replication")["clv"]
                .apply(lambda x: float(np.sum(x.to_numpy() ** 2)))
                .to_numpy(),
            }
        )
        frames.append(pd.concat([res.replications.reset_index(drop=True), checks], axis=1).assign(configuration=name))
    return pd.concat(frames, ignore_index=True)


if __name__ == "__main__":
    PINS.parent.mkdir(exist_ok=True)
    kpi_table().to_csv(PINS, index=False, float_format="%.17g")
    print(f"wrote {PINS}")
