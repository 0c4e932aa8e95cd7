"""Documented strategy mechanisms show up in simulated results (paired designs, 3 standard errors)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.strategies import portfolio
from sim.experiments import compare, run
from tests.conftest import small

REPS = 8


def assert_positive(diff):
    diff = np.asarray(diff, dtype=float)
    se = diff.std(ddof=1) / np.sqrt(len(diff))
    assert diff.mean() > 3 * se, f"mean paired difference {diff.mean():.5g}, SE {se:.5g}"


def kpi_diff(table, a, b, kpi):
    """Per-replication b - a of a KPI in a comparison table."""
    t = table.pivot(index="replication", columns="variant", values=kpi)
    return (t[b] - t[a]).to_numpy()


def arm(**changes):
    return small(replications=REPS, horizon_months=36, population={"customers": 600}, **changes)


GROWTH = {"none": {"strategy.account_growth": "none"}, "fitd": {"strategy.account_growth": "foot_in_the_door"}}


@pytest.mark.slow
def test_fitd_loses_more_trust_when_products_fit_needs_poorly():
    def trust_cost_of_fitd(fit):
        t = compare(arm(segments=[{"name": "all", "product_need_fit": {"mean": fit}}]), GROWTH, n_jobs=1)
        return kpi_diff(t, "none", "fitd", "mean_trust")

    assert_positive(trust_cost_of_fitd(0.8) - trust_cost_of_fitd(0.3))


@pytest.mark.slow
def test_all_at_once_acceptance_rises_with_customer_size():
    res = run(arm(strategy={"account_growth": "all_at_once"}, segments=[{"name": "all", "wallet_sigma": 1.2}]))
    lt = res.lifetimes[res.lifetimes.growth_offers > 0]
    big = lt.wallet > lt.groupby("replication")["wallet"].transform("median")
    rate = lt.groupby(["replication", big])[["growth_accepted", "growth_offers"]].sum()
    rate = (rate.growth_accepted / rate.growth_offers).unstack()
    assert_positive(rate[True] - rate[False])


@pytest.mark.slow
def test_collaborative_posture_raises_trust_and_cost_to_serve():
    t = compare(
        arm(), {"tx": {"strategy.posture": "transactional"}, "co": {"strategy.posture": "collaborative"}}, n_jobs=1
    )
    assert_positive(kpi_diff(t, "tx", "co", "mean_trust"))
    t = t.assign(cost_per_customer=t.cost_to_serve / (t.acquired + 1e-9))
    assert_positive(kpi_diff(t, "tx", "co", "cost_per_customer"))


FIRE_ONLY = {
    "most_growable": "maintain",
    "low_maintenance": "maintain",
    "most_valuable": "maintain",
    "below_zero": "fire",
}


def firing(growth):
    variants = {
        "keep": {"portfolio_policy.scheme": "none", "strategy.account_growth": growth},
        "fire": {
            "portfolio_policy.scheme": "value",
            "portfolio_policy.actions": FIRE_ONLY,
            "strategy.account_growth": growth,
        },
    }
    # 1,500 customers: the paired differences are heavy-tailed (a few large accounts); at 600 the default seed
    # gave 2.5 SE where four other seeds gave 4.9-8.7 (at 1,500: 8.3-12.4).
    t = compare(small(replications=REPS, horizon_months=36, population={"customers": 1500}), variants, n_jobs=1)
    return t.assign(profit_per_customer=t.profit / t.acquired)


@pytest.mark.slow
def test_firing_below_zero_customers_raises_profit_per_customer_when_they_cannot_be_grown():
    """RM notes: below-zero customers are made profitable or churned out.  Without account growth they
    cannot be made profitable, and firing them raises profit per customer."""
    t = firing("none")
    assert (t[t.variant == "fire"].fired > 0).all()
    assert_positive(kpi_diff(t, "keep", "fire", "profit_per_customer"))


@pytest.mark.slow
def test_firing_on_trailing_margin_destroys_value_when_accounts_can_still_grow():
    """A finding of the model, kept as a test: under foot-in-the-door growth, customers below zero at a
    review often become profitable later, so firing them on their trailing margin lowers profit."""
    assert_positive(-kpi_diff(firing("foot_in_the_door"), "keep", "fire", "profit_per_customer"))


@pytest.mark.slow
def test_migration_spend_raises_the_share_on_upper_rungs():
    variants = {"none": {"migration.spend": [0.0] * 8}, "spend": {"migration.spend": [15.0] * 7 + [0.0]}}
    sc = arm()
    out = {}
    for name, changes in variants.items():
        from sim.scenario import apply

        res = run(apply(sc, changes))
        last = res.customers[(res.customers.period == sc.horizon_months - 1) & (res.customers.stage != "dissolution")]
        out[name] = last.groupby("replication")["rung"].apply(lambda r: (r >= 5).mean()).to_numpy()
    assert_positive(out["spend"] - out["none"])


def test_classifications_follow_the_seeds():
    margin = np.array([-5.0, 10.0, 50.0, 60.0])
    cost = np.array([10.0, 10.0, 40.0, 10.0])
    rung = np.array([1, 6, 2, 6])  # 0-based: rungs 2, 7, 3, 7
    sow = np.array([0.1, 0.2, 0.8, 0.9])
    le = portfolio.classify("loyalty_effort", margin, cost, rung, sow, loyal_rung=5, high_effort=1.5)
    assert list(le) == ["switchers", "most_valuable", "undesirable", "most_valuable"]
    pl = portfolio.classify("profitability_loyalty", margin, cost, rung, sow, loyal_rung=5, high_effort=1.5)
    assert list(pl) == ["strangers", "barnacles", "butterflies", "true_friends"]
    v = portfolio.classify("value", margin, cost, rung, sow, loyal_rung=5, high_effort=1.5)
    assert list(v) == ["below_zero", "most_growable", "most_valuable", "most_valuable"]


def test_unknown_policy_class_is_a_clear_error():
    from sim.scenario import ScenarioError, build_scenario

    with pytest.raises(ScenarioError, match="unknown classes \\['partner'\\] for scheme loyalty_effort"):
        build_scenario({"portfolio_policy": {"scheme": "loyalty_effort", "actions": {"partner": "invest"}}})
