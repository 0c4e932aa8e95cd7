"""Staggered entry: cohorts of customers enter at their own month, acquired at their first purchase."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.engine.simulate import simulate
from sim.experiments import run
from sim.scenario import ScenarioError
from tests.conftest import small

COHORTS = [100, 50, 0, 80]


def cohort_market(**changes):
    return small(population={"customers": 0, "cohorts": COHORTS, "referral_pool": 0.5}, horizon_months=12, **changes)


def test_each_cohort_enters_in_its_month_with_a_first_purchase():
    res = run(cohort_market(record="customers"), 2, 1)
    panel = res.customers
    first = panel[panel.period == panel.groupby(["replication", "customer"]).period.transform("min")]
    own = res.lifetimes.set_index(["replication", "customer"]).referred_by < 0
    first = first[own.reindex(pd.MultiIndex.from_frame(first[["replication", "customer"]])).to_numpy()]
    sizes = first.groupby("period").size() / 2
    assert sizes.reindex(range(4), fill_value=0).tolist() == COHORTS
    assert (first.purchases >= 1).all()  # acquired at their first purchase
    assert (first.revenue > 0).all()
    lt = res.lifetimes[res.lifetimes.referred_by < 0]
    assert (lt.acquired_month == lt.entered).all()


def test_cohort_entrants_pay_the_acquisition_cost_once():
    rep = simulate(cohort_market(), 0, 3)
    cost = cohort_market().segments[0].acquisition_cost
    acquisition = rep.recorder.totals[:, 2]
    assert acquisition[0] == pytest.approx(100 * cost)
    assert acquisition[1] == pytest.approx(50 * cost)


def test_referrals_never_take_a_cohorts_places():
    advocates = {"name": "all", "initial_rungs": [0, 0, 0, 0, 0, 1, 0, 0], "initial_stages": [0, 0, 0, 1]}
    sc = small(
        population={"customers": 500, "cohorts": [0] * 20 + [300], "referral_pool": 0.02},
        horizon_months=24,
        segments=[advocates],
    )
    rep = simulate(sc, 0, 2)
    c = rep.customers
    assert rep.lost_referrals > 0  # the pool (2% of 800 places) filled up ...
    cohort = (c.entered[: c.n] == 20) & (c.referred_by[: c.n] < 0)
    assert cohort.sum() == 300  # ... and the cohort still entered in full


def test_without_cohorts_nothing_changes():
    a = simulate(small(), 0, 5).customers
    b = simulate(small(population={"cohorts": []}), 0, 5).customers
    assert np.array_equal(a.clv[: a.n], b.clv[: b.n])


@pytest.mark.parametrize(
    "population, match",
    [
        ({"customers": 0}, "no customers"),
        ({"cohorts": [1] * 30}, "population.cohorts"),
        ({"cohorts": [-1]}, "cohorts"),
    ],
)
def test_impossible_cohorts_are_refused_with_the_field_named(population, match):
    with pytest.raises(ScenarioError, match=match):
        small(population=population, horizon_months=24)


def test_a_cohort_entrant_is_the_same_customer_however_many_referrals_came_before_it():
    # Referrals take places as they come, so more referrals push a cohort's entrants to later places; each
    # entrant must still be the same customer meeting the same random numbers (common random numbers).
    advocates = {"name": "all", "initial_rungs": [0, 0, 0, 0, 0, 0, 1, 0], "initial_stages": [0, 0, 0, 1]}
    entrants = {}
    for rate in (0.05, 0.3):
        rates = [0.0] * 6 + [rate, rate]
        sc = small(
            population={"customers": 300, "cohorts": [0, 0, 0, 200], "referral_pool": 1.0},
            horizon_months=12,
            segments=[advocates],
            purchasing={"referral_rate": rates},
        )
        c = simulate(sc, 0, 9).customers
        came = np.flatnonzero((c.entered[: c.n] == 3) & (c.referred_by[: c.n] < 0))
        entrants[rate] = (came, pd.DataFrame({"clv": c.clv[came], "wallet": c.wallet[came]}, index=c.identity[came]))
    (low, a), (high, b) = entrants[0.05], entrants[0.3]
    assert low.min() < high.min()  # the entrants did sit at different places ...
    pd.testing.assert_frame_equal(a.sort_index(), b.sort_index())  # ... and lived the same lives


def test_the_migration_loop_plans_on_a_cohort_market_with_every_entrant_in_its_design():
    from sim.workflows.migration import BUDGET_SLACK, migration_loop
    from sim.workflows.spend_response import design_around, outcome

    sc = cohort_market()
    design = design_around(np.zeros((1, 8, 4)), np.full(4, 5.0), first=True, key=0)
    designed = outcome(sc, 0, 3, design)
    assert len(designed.value) == len(designed.index) == sum(COHORTS)  # all entrants, none referred
    report = migration_loop(sc, budget=1000.0, replications=2)
    spend = report.plan["total_spend"].sum()
    # The loop holds the spend it validates to the budget plus BUDGET_SLACK, or says it could not.
    validated = report.rounds["played_monthly_spend"].iloc[-1]
    assert 0 <= validated <= 1000.0 * (1 + BUDGET_SLACK) or any("still spends" in note for note in report.notes)
    assert spend > 0 or any("spend nothing" in note for note in report.notes)  # a zero plan says why


def test_a_cohort_market_plays_a_portfolio_and_lets_go_entrants_outside_it():
    from sim.stages import Cause

    sc = cohort_market()
    sc = sc.with_overrides(segments=[{**sc.segments[0].model_dump(), "served": 0.5}])
    c = simulate(sc, 0, 4).customers
    outside = c.cause[: c.n] == Cause.NOT_SERVED
    assert abs(outside.mean() - 0.5) < 4 * np.sqrt(0.25 / c.n)
    assert np.array_equal(c.dissolved_month[: c.n][outside], c.entered[: c.n][outside])  # let go on arrival
    assert (c.acquired_month[: c.n][outside] == -1).all()  # never acquired, so no acquisition cost
