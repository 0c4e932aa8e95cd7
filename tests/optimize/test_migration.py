"""Migration spend plans: first-order conditions, budgets and rung values."""

from __future__ import annotations

import numpy as np
import pytest

from optimize.clv import markov_clv
from optimize.errors import InfeasibleError
from optimize.migration import horizon_benefits, plan_spend, policy_matrix, predicted_gain, rung_benefits, rung_values


def test_one_rung_optimum_matches_the_first_order_condition():
    # maximize N (p_max (1 - exp(-s/h)) dv - s)  =>  s* = h ln(p_max dv / h)
    n, dv, p_max, h = 100.0, 500.0, 0.2, 20.0
    s = plan_spend(np.array([n]), np.array([dv]), budget=1e9, p_max=p_max, scale=h)["spend_per_customer"].iloc[0]
    assert s == pytest.approx(h * np.log(p_max * dv / h), rel=1e-3)


def test_a_binding_budget_is_spent_and_priced():
    n, dv, p_max, h = 100.0, 500.0, 0.2, 20.0
    t = plan_spend(np.array([n]), np.array([dv]), budget=1000.0, p_max=p_max, scale=h)
    s = t["spend_per_customer"].iloc[0]
    assert s == pytest.approx(10.0, rel=1e-4)
    # Shadow price = marginal net gain of one more unit of budget at the optimum.
    assert t["shadow_price"].iloc[0] == pytest.approx(p_max * dv / h * np.exp(-s / h) - 1.0, rel=1e-3)


def test_no_spend_where_a_move_is_worth_less_than_its_cost():
    t = plan_spend(np.array([50.0, 50.0]), np.array([5.0, -3.0]), budget=1e6, p_max=0.2, scale=20.0)
    assert np.allclose(t["spend_per_customer"], 0.0)  # p_max * dv / h < 1: the first unit already loses


def test_budget_goes_where_the_marginal_gain_is_highest():
    t = plan_spend(np.array([100.0, 100.0]), np.array([300.0, 900.0]), budget=1500.0, p_max=0.2, scale=20.0)
    assert t["spend_per_customer"].iloc[1] > t["spend_per_customer"].iloc[0]
    assert t["total_spend"].sum() == pytest.approx(1500.0, rel=1e-4)


def test_risk_aware_plan_spends_less_on_uncertain_benefits():
    args = dict(
        customers=np.array([100.0, 100.0]), benefits=np.array([600.0, 600.0]), budget=1e6, p_max=0.2, scale=20.0
    )
    t = plan_spend(**args, spread=np.array([0.0, 300.0]), kappa=1.0)
    assert t["spend_per_customer"].iloc[1] < t["spend_per_customer"].iloc[0]


def test_negative_budget_is_rejected():
    with pytest.raises(InfeasibleError, match="budget"):
        plan_spend(np.array([1.0]), np.array([1.0]), budget=-1.0, p_max=0.1, scale=1.0)


def test_rung_benefits_are_adjacent_value_differences():
    P = np.hstack([np.eye(8) * 0.9, np.full((8, 1), 0.1)])
    margins = np.arange(8) * 10.0
    v = rung_values(P, margins, 0.01)
    assert np.allclose(rung_benefits(v)[:-1], np.diff(v)) and rung_benefits(v)[-1] == 0


def test_horizon_benefit_of_a_one_month_plan_is_the_next_margin_difference():
    P = np.hstack([np.eye(8) * 0.9, np.full((8, 1), 0.1)])
    margins = np.arange(8) * 10.0
    assert np.allclose(horizon_benefits(P, margins, 0.01, 1)[:-1], 10.0)
    assert np.all(horizon_benefits(P, margins, 0.01, 60) < rung_benefits(rung_values(P, margins, 0.01)) + 1e-9)


def test_policy_matrix_is_stochastic_and_predicted_gain_of_no_spend_is_zero():
    rng = np.random.default_rng(0)
    P = rng.dirichlet(np.ones(9), size=8)
    move = rng.uniform(0, 0.3, 8)
    assert np.allclose(policy_matrix(P, move).sum(axis=1), 1.0)
    start = np.full(8, 10.0)
    assert predicted_gain(P, np.ones(8), np.zeros(8), np.zeros(8), start, 0.01, 24) == pytest.approx(0.0, abs=1e-9)
    # A free move up a ladder with rising margins can only help.
    assert predicted_gain(P, np.arange(8.0), np.zeros(8), np.full(8, 0.2), start, 0.01, 24) > 0
    assert np.allclose(markov_clv(policy_matrix(P, np.zeros(8)), np.ones(8), 0.01), markov_clv(P, np.ones(8), 0.01))
