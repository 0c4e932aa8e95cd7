"""Markov mode against closed forms (Pfeifer and Carraway 2000; DESIGN section 5)."""

from __future__ import annotations

import numpy as np
import pytest

from optimize.clv import constant_retention_clv, markov_clv
from sim.experiments import run
from tests.conftest import small

UNIFORM_START = [1 / 8] * 8

# A ladder with churn: customers drift up and down and leave from the low rungs (absorbing dissolution).
LADDER_WITH_CHURN = np.array(
    [
        # 1     2     3     4     5     6     7     8     dissolved
        [0.60, 0.15, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.25],
        [0.10, 0.60, 0.15, 0.00, 0.00, 0.00, 0.00, 0.00, 0.15],
        [0.00, 0.10, 0.65, 0.15, 0.00, 0.00, 0.00, 0.00, 0.10],
        [0.00, 0.00, 0.10, 0.70, 0.12, 0.00, 0.00, 0.00, 0.08],
        [0.00, 0.00, 0.00, 0.08, 0.75, 0.12, 0.00, 0.00, 0.05],
        [0.00, 0.00, 0.00, 0.00, 0.08, 0.78, 0.10, 0.00, 0.04],
        [0.00, 0.00, 0.00, 0.00, 0.00, 0.06, 0.84, 0.07, 0.03],
        [0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.08, 0.90, 0.02],
    ]
)
LADDER_MARGINS = [-5.0, 2.0, 10.0, 25.0, 40.0, 55.0, 70.0, 95.0]

# No dissolution: an ergodic chain where value only fades through discounting.
ERGODIC = np.array(
    [
        [0.50, 0.30, 0.20, 0.00, 0.00, 0.00, 0.00, 0.00],
        [0.20, 0.50, 0.20, 0.10, 0.00, 0.00, 0.00, 0.00],
        [0.00, 0.20, 0.50, 0.20, 0.10, 0.00, 0.00, 0.00],
        [0.00, 0.00, 0.20, 0.50, 0.20, 0.10, 0.00, 0.00],
        [0.00, 0.00, 0.00, 0.20, 0.50, 0.20, 0.10, 0.00],
        [0.00, 0.00, 0.00, 0.00, 0.20, 0.50, 0.20, 0.10],
        [0.00, 0.00, 0.00, 0.00, 0.00, 0.30, 0.50, 0.20],
        [0.10, 0.00, 0.00, 0.00, 0.00, 0.00, 0.30, 0.60],
    ]
)
ERGODIC_MARGINS = [0.0, 5.0, 20.0, 40.0, 60.0, 80.0, 90.0, 110.0]

ANNUAL_RATE = 0.5  # high enough that a 600-month horizon truncates a negligible tail
HORIZON = 600


def markov_scenario(P, margins, customers=4000, replications=2):
    return small(
        behaviour="markov",
        horizon_months=HORIZON,
        replications=replications,
        annual_discount_rate=ANNUAL_RATE,
        record="aggregates",
        population={"customers": customers, "referral_pool": 0.0},
        segments=[{"name": "all", "initial_rungs": UNIFORM_START}],
        markov={"transitions": np.asarray(P).tolist(), "margins": margins},
    )


def per_rung_check(results, expected):
    """Assert the mean CLV of customers starting on each rung is within 3 standard errors of `expected`."""
    lt = results.lifetimes
    i = results.scenario.monthly_discount_rate
    for rung, v in enumerate(expected, start=1):
        clv = lt.loc[lt.initial_rung == rung, "clv"].to_numpy()
        se = clv.std(ddof=1) / np.sqrt(len(clv))
        assert len(clv) > 500
        # Customers are independent in Markov mode, so the SE is the usual one.
        assert abs(clv.mean() - v) < 3 * se, (
            f"rung {rung}: simulated {clv.mean():.3f} vs {v:.3f} (SE {se:.3f}, i={i:.5f})"
        )


@pytest.mark.slow
@pytest.mark.parametrize(
    "P,margins", [(LADDER_WITH_CHURN, LADDER_MARGINS), (ERGODIC, ERGODIC_MARGINS)], ids=["churn", "ergodic"]
)
def test_markov_clv_matches_closed_form(P, margins):
    sc = markov_scenario(P, margins)
    i = sc.monthly_discount_rate
    v = markov_clv(P, margins, i)
    # The horizon truncates the infinite sum; make sure that is negligible before comparing with it.
    assert np.max(np.abs(v - markov_clv(P, margins, i, horizon=HORIZON)) / np.abs(v)) < 1e-8
    per_rung_check(run(sc), v)


@pytest.mark.slow
@pytest.mark.parametrize("retention", [0.8, 0.95])
def test_constant_retention_closed_form(retention):
    margin = 50.0
    P = np.hstack([np.eye(8) * retention, np.full((8, 1), 1 - retention)])
    sc = markov_scenario(P, [margin] * 8, customers=6000)
    i = sc.monthly_discount_rate
    expected = constant_retention_clv(margin, retention, i)
    clv = run(sc).lifetimes["clv"].to_numpy()
    se = clv.std(ddof=1) / np.sqrt(len(clv))
    assert abs(clv.mean() - expected) < 3 * se, (clv.mean(), expected, se)


def test_markov_clv_finite_horizon_sums_discounted_margins():
    P = LADDER_WITH_CHURN
    i = 0.01
    manual = sum(np.linalg.matrix_power(P[:, :8] / (1 + i), t) @ np.array(LADDER_MARGINS) for t in range(5))
    assert np.allclose(markov_clv(P, LADDER_MARGINS, i, horizon=5), manual)


def test_constant_retention_is_a_markov_special_case():
    i, r, m = 0.01, 0.9, 30.0
    assert np.isclose(markov_clv([[r]], [m], i)[0], constant_retention_clv(m, r, i))
