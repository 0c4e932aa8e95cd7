"""Customers and money are conserved: every customer is in one stage and one rung; margins add up."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim.experiments import run
from sim.stages import RUNGS, STAGES
from tests.conftest import small


@pytest.fixture(scope="module")
def results():
    # Referrals switched on strongly so that newcomers enter mid-run and are counted too.
    rates = [0.0] * 6 + [0.3, 0.3]
    sc = small(
        horizon_months=36,
        valuation={"residual": "run_off"},  # lifetime value: the money to the horizon and after it must add up
        purchasing={"referral_rate": rates},
        segments=[
            {
                "name": "a",
                "share": 0.5,
                "initial_stages": [0.5, 0.2, 0.2, 0.1],
                "initial_rungs": [0, 0, 0, 0, 0.2, 0.3, 0.3, 0.2],
            },
            {"name": "b", "share": 0.5},
        ],
    )
    return run(sc)


def test_every_customer_in_exactly_one_stage_and_rung_each_period(results):
    panel = results.customers
    assert not panel.duplicated(["replication", "period", "customer"]).any()
    assert panel["stage"].notna().all() and set(panel["stage"].unique()) <= set(STAGES)
    assert panel["rung"].between(1, len(RUNGS)).all()
    # A customer appears in every period from entry to the horizon, with no gaps.
    span = panel.groupby(["replication", "customer"])["period"].agg(["min", "max", "count"])
    assert (span["max"] == results.scenario.horizon_months - 1).all()
    assert (span["count"] == span["max"] - span["min"] + 1).all()


def test_occupancy_counts_add_up_to_the_customers_present(results):
    present = results.customers.groupby(["replication", "period"]).size()
    occ = results.occupancy
    for dim in ("stage", "rung"):
        totals = occ[occ.dimension == dim].groupby(["replication", "period"])["customers"].sum()
        pd.testing.assert_series_equal(totals, present, check_names=False)
    by_stage = results.customers.groupby(["replication", "period", "stage"], observed=False).size()
    occ_stage = occ[occ.dimension == "stage"].set_index(["replication", "period", "state"])["customers"]
    assert np.array_equal(by_stage.to_numpy(), occ_stage.to_numpy())
    active = occ[occ.dimension == "active_rung"].groupby(["replication", "period"])["customers"].sum()
    dissolved = occ[(occ.dimension == "stage") & (occ.state == "dissolution")].set_index(["replication", "period"])[
        "customers"
    ]
    pd.testing.assert_series_equal(active + dissolved, present, check_names=False)


def test_referrals_add_customers(results):
    reps = results.replications
    assert (reps["customers"] > results.scenario.population.customers).all()
    assert (reps["customers"] - results.scenario.population.customers <= reps["referrals"]).all()


def test_dissolution_is_absorbing_and_stages_never_skip_back_to_awareness(results):
    p = results.customers.sort_values(["replication", "customer", "period"])
    prev = p.groupby(["replication", "customer"])["stage"].shift()
    was_dissolved = prev == "dissolution"
    assert (p.loc[was_dissolved, "stage"] == "dissolution").all()
    left_awareness = prev.notna() & (prev != "awareness")
    assert not (p.loc[left_awareness, "stage"] == "awareness").any()


def test_money_adds_up(results):
    panel, reps, life = results.customers, results.replications, results.lifetimes
    i = results.scenario.monthly_discount_rate
    profit = panel.groupby("replication")["margin"].sum()
    assert np.allclose(profit.to_numpy(), reps["profit"].to_numpy(), rtol=1e-4)
    discounted = (panel["margin"] / (1 + i) ** panel["period"]).groupby([panel["replication"], panel["customer"]]).sum()
    clv = life.set_index(["replication", "customer"])["clv_horizon"].reindex(discounted.index)
    assert np.allclose(discounted.to_numpy(), clv.to_numpy(), rtol=1e-4, atol=1e-2)
    # Lifetime value is the margin to the horizon plus the residual value after it, and equity sums it.
    assert np.array_equal(life["clv"], life["clv_horizon"] + life["residual_value"])
    assert (life["residual_value"] != 0).any()
    equity = life.groupby("replication")[["clv", "clv_horizon"]].sum()
    assert np.allclose(equity["clv"].to_numpy(), reps["customer_equity"].to_numpy())
    assert np.allclose(equity["clv_horizon"].to_numpy(), reps["customer_equity_horizon"].to_numpy())
    # Referral value is the CLV of the customers one referred: no money is counted twice.
    assert np.isclose(life["referral_value"].sum(), life.loc[life.referred_by >= 0, "clv"].sum())


def test_never_acquired_prospects_earn_nothing(results):
    life = results.lifetimes
    never = (life.acquired_month < 0) & ~life.existing
    assert (life.loc[never, "clv"] == 0).all()
    assert (life.loc[never, "purchases"] == 0).all()


def test_every_table_counts_the_same_customers_even_with_late_referrals():
    from sim import run

    sc = small(
        replications=3,
        horizon_months=12,
        segments=[{"initial_stages": [0.0, 0.0, 0.0, 1.0], "initial_rungs": [0, 0, 0, 0, 0, 0, 0.5, 0.5]}],
        purchasing={"referral_rate": [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.3, 0.3]},
    )
    res = run(sc)
    last = res.occupancy.query("dimension == 'stage' and period == 11").groupby("replication").customers.sum()
    assert (res.replications.set_index("replication").customers == last).all()
    assert (res.lifetimes.groupby("replication").size() == last).all()
    assert (res.customers.query("period == 11").groupby("replication").size() == last).all()
    assert res.replications.referrals.sum() > res.replications.customers.sum() - 3 * 300  # late referrals still count
