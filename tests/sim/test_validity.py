"""Model validity: an existing base starts where it stands, and every documented mechanism has consequences."""

from __future__ import annotations

import numpy as np
import pytest

from sim import build_scenario, run
from tests.conftest import small


@pytest.mark.slow
def test_an_existing_base_neither_collapses_nor_jumps():
    """Customers starting in commitment with products keep revenue within 10% of the month-12 level from month 1."""
    sc = build_scenario(
        {
            "horizon_months": 13,
            "replications": 4,
            "population": {"customers": 2000, "referral_pool": 0.0},
            "segments": [{"initial_stages": [0, 0, 0, 1.0], "initial_rungs": [0, 0, 0, 0.2, 0.3, 0.3, 0.2, 0.0]}],
        }
    )
    panel = run(sc).customers
    revenue = panel.groupby("period")["revenue"].sum().to_numpy()
    assert np.all(np.abs(revenue[1:] / revenue[12] - 1.0) < 0.10), revenue / revenue[12]
    sow = panel.groupby("period")["share_of_wallet"].mean().to_numpy()
    assert sow[0] > 0.8 * sow[12]  # no empty start
    assert panel.loc[panel.period == 0, "satisfaction"].gt(0).mean() > 0.9


def test_existing_customers_start_with_history_prospects_without():
    res = run(small(replications=1, horizon_months=1, segments=[{"initial_stages": [0.5, 0.2, 0.2, 0.1]}]))
    lt = res.lifetimes
    first = res.customers[res.customers.period == 0].set_index("customer")
    who = lt.set_index("customer")
    buyers = who.index[who.existing & (who.initial_rung > 1)]  # cynics (rung 1) aim for no share at all
    assert (first.loc[buyers, "share_of_wallet"] > 0).all() and (first.loc[buyers, "satisfaction"] != 0).all()
    assert (first.loc[who.index[~who.existing], "share_of_wallet"] == 0).all()


# Each mechanism of README's model section, knocked out by the change that switches it off, and the KPIs it
# should move in a market where it acts.  A paired design on common random numbers: the mean paired difference
# must exceed 3 standard errors on at least one of them.
EXISTING = {"initial_stages": [0.5, 0.2, 0.2, 0.1], "initial_rungs": [0.05, 0.1, 0.15, 0.2, 0.2, 0.15, 0.1, 0.05]}
KNOCK_OUTS = {
    "interactions": ({"postures.transactional.interaction_rate": 0.0}, ["mean_trust", "profit"]),
    "purchases": ({"purchasing.purchase_probability": [0.0] * 8}, ["revenue"]),
    "service failures": ({"service.failure_probability": 0.0}, ["retention", "profit"]),
    "satisfaction asymmetries": (
        {"satisfaction.negativity_bias": 1.0, "satisfaction.primacy": 1.0},
        ["retention", "profit"],
    ),
    "trust damage of poor fits": ({"account_growth.foot_in_the_door.self_orientation_damage": 0.0}, ["mean_trust"]),
    "affective commitment": ({"commitment.affective_rate": 0.0}, ["retention", "profit"]),
    "calculative commitment": ({"commitment.calculative_rate": 0.0}, ["retention", "profit"]),
    "share of wallet": ({"purchasing.sow_adjustment": 0.0}, ["share_of_wallet", "revenue"]),
    # Climbing knocked out: with both directions frozen, customers stay where climbs and falls roughly balance
    # and the effect is within noise (about 1 SE at 800 customers x 8 replications, on four fresh seeds).
    "loyalty ladder": ({"ladder.up_rate": 0.0}, ["revenue", "retention"]),
    "stage moves": (
        {"stages.expansion_rate": 0.0, "stages.commitment_rate": 0.0, "stages.regression_rate": 0.0},
        ["profit", "retention"],
    ),
    "stage: purchases": (
        {"stages.purchase_factor": [1.0, 1.0, 1.0], "stages.basket_factor": [1.0, 1.0, 1.0]},
        ["revenue"],
    ),
    "stage: failure sensitivity": (
        {"stages.failure_sensitivity": [1.0, 1.0, 1.0]},
        ["retention", "profit"],
        {"service.failure_probability": 0.3, "segments[*].transaction_uncertainty.mean": 0.7},  # failures matter
    ),
    "stage: competitor openness": ({"stages.switch_shift": [0.0, 0.0, 0.0]}, ["retention"]),
    "stage: dissolution hazard": ({"stages.hazard_factor": [1.0, 1.0, 1.0]}, ["retention"]),
    "stage: growth-offer openness": ({"stages.growth_acceptance_shift": [0.0, 0.0, 0.0]}, ["growth_acceptance"]),
    "competitor offers": ({"competition.offer_rate": 0.0}, ["retention"]),
    "dissolution hazard": ({"dissolution.base_hazard": 0.0, "dissolution.shock_hazard": 0.0}, ["retention"]),
    "prospects losing interest": ({"stages.prospect_exit_rate": 0.0}, ["acquired"]),
    "referrals": ({"purchasing.referral_rate": [0.0] * 8}, ["customers", "customer_equity"]),
    "foot-in-the-door growth": ({"strategy.account_growth": "none"}, ["share_of_wallet", "profit"]),
    "FITD consistency uplift": ({"account_growth.foot_in_the_door.consistency_effect": 0.0}, ["growth_acceptance"]),
    "FITD immediacy penalty": (
        {"account_growth.foot_in_the_door.immediacy_penalty": 0.0},
        ["growth_acceptance"],
        {
            "account_growth.foot_in_the_door.interval_months": 0.25,
            "account_growth.foot_in_the_door.decision_months": 0.1,
        },
    ),
    "growth-offer rung effect": ({"account_growth.foot_in_the_door.rung_effect": 0.0}, ["growth_acceptance"]),
    "FITD growth factor": ({"account_growth.foot_in_the_door.growth_factor": 3.0}, ["growth_acceptance"]),
    "poor-fit dissolution": ({"account_growth.foot_in_the_door.dissolution_on_damage": 0.0}, ["retention"]),
    "all-at-once growth": ({"strategy.account_growth": "all_at_once"}, ["share_of_wallet", "profit"]),
    "collaborative posture": ({"strategy.posture": "collaborative"}, ["mean_trust", "cost_to_serve"]),
    "social investments": (
        {"investments.social.spend": [0.0] * 8},
        ["mean_trust"],
        {"investments.social.spend": [10.0] * 8},
    ),
    "structural investments": (
        {"investments.structural.spend": [0.0] * 8},
        ["retention", "share_of_wallet"],
        {"investments.structural.spend": [10.0] * 8},
    ),
    "financial investments": (
        {"investments.financial.spend": [0.0] * 8},
        ["retention"],
        {"investments.financial.spend": [10.0] * 8},
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize("mechanism", list(KNOCK_OUTS))
def test_every_documented_mechanism_has_consequences(mechanism):
    from sim import apply_overrides, compare

    changes, kpis, *where = KNOCK_OUTS[mechanism]
    market = small(replications=8, horizon_months=36, population={"customers": 800}, segments=[EXISTING])
    market = apply_overrides(market, where[0]) if where else market
    table = compare(market, {"on": {}, "off": changes}, n_jobs=1)
    on, off = (table[table.variant == v].set_index("replication") for v in ("on", "off"))
    ratios = {}
    for kpi in kpis:
        d = (off[kpi] - on[kpi]).dropna().to_numpy()
        se = d.std(ddof=1) / np.sqrt(len(d))
        ratios[kpi] = abs(d.mean()) / se if se > 0 else (np.inf if d.mean() != 0 else 0.0)
    assert max(ratios.values()) > 3.0, f"{mechanism}: |mean paired difference| / SE = {ratios}"


@pytest.mark.slow
def test_stage_rates_set_to_zero_change_the_baseline():
    """On the shipped baseline, keeping every customer in exploration moves profit and retention beyond noise."""
    from pathlib import Path

    from sim import compare, load_scenario, paired_differences

    base = load_scenario(Path(__file__).resolve().parents[2] / "scenarios" / "baseline.toml")
    frozen = {"stages.expansion_rate": 0.0, "stages.commitment_rate": 0.0, "stages.regression_rate": 0.0}
    table = compare(base, {"on": {}, "off": frozen}, replications=6)
    diff = paired_differences(table, "on", kpis=["profit", "retention"])
    assert ((diff.ci_low > 0) | (diff.ci_high < 0)).any(), diff
