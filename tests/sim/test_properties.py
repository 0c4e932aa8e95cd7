"""Properties over random valid scenarios (hypothesis): customers conserved, money finite, tables add up."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import run
from sim.scenario import ScenarioError, build_scenario

SCENARIOS = st.fixed_dictionaries(
    {
        "horizon_months": st.integers(1, 12),
        "replications": st.just(1),
        "population": st.fixed_dictionaries({"customers": st.integers(5, 120), "referral_pool": st.floats(0, 2)}),
        "strategy": st.fixed_dictionaries(
            {
                "posture": st.sampled_from(["transactional", "collaborative"]),
                "account_growth": st.sampled_from(["foot_in_the_door", "all_at_once", "none"]),
                "offering": st.sampled_from(["standard", "unbundled", "augmented"]),
            }
        ),
        "firm": st.fixed_dictionaries({"gross_margin": st.floats(0, 1), "transfer_ability": st.floats(0, 1)}),
        "segments": st.lists(
            st.fixed_dictionaries(
                {
                    "wallet_median": st.floats(1, 1e5),
                    "wallet_sigma": st.floats(0, 3),
                    "acquisition_cost": st.floats(0, 1e4),
                }
            ),
            min_size=1,
            max_size=1,
        ),
        "investments": st.fixed_dictionaries(
            {"social": st.fixed_dictionaries({"spend": st.lists(st.floats(0, 100), min_size=8, max_size=8)})}
        ),
    }
)


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(SCENARIOS)
def test_random_valid_scenarios_conserve_customers_and_money(data):
    res = run(build_scenario(data))
    row = res.replications.iloc[0]
    occ = res.occupancy
    stage = occ[occ.dimension == "stage"].groupby("period").customers.sum().to_numpy()
    rung = occ[occ.dimension == "rung"].groupby("period").customers.sum().to_numpy()
    assert np.array_equal(stage, rung) and np.all(np.diff(stage) >= 0)  # one stage and one rung each; none vanish
    assert stage[-1] == row.customers == len(res.lifetimes)
    for kpi in ("revenue", "cost_to_serve", "profit", "customer_equity"):
        assert math.isfinite(row[kpi])
    panel = res.customers
    assert panel.margin.sum() == pytest.approx(row.profit, rel=1e-4, abs=1e-3)
    assert res.lifetimes.clv.sum() == pytest.approx(row.customer_equity, rel=1e-9, abs=1e-6)


@given(
    st.sampled_from(["firm.gross_margin", "competition.switch_intercept", "dissolution.base_hazard", "ladder.up_rate"]),
    st.sampled_from([math.nan, math.inf, -math.inf, "0.5", True]),
)
def test_invalid_values_are_always_rejected(path, value):
    section, key = path.split(".")
    with pytest.raises(ScenarioError):
        build_scenario({section: {key: value}})
