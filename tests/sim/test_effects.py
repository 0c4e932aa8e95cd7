"""Monotone effects of the behaviour model, checked over replications with a paired design.

Both arms use the same root seed, so replication r meets the same customers
and the same draws in both (common random numbers); the test asserts the mean
paired difference is more than 3 standard errors from zero in the documented
direction.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.experiments import run
from tests.conftest import small

REPS = 8


def paired(low, high, kpi):
    """Per-replication paired differences of `kpi(results) -> Series by replication`."""
    return kpi(run(high)).to_numpy() - kpi(run(low)).to_numpy()


def assert_positive(diff):
    se = diff.std(ddof=1) / np.sqrt(len(diff))
    assert diff.mean() > 3 * se, f"mean paired difference {diff.mean():.4f}, SE {se:.4f}"


def dissolution_rate(res):
    lt = res.lifetimes
    customers = lt[(lt.acquired_month >= 0) | lt.existing]
    ended = customers.dissolved_month >= 0
    return ended.groupby(customers.replication).mean()


def mean_rung_in_relationship(res):
    last = res.customers[
        (res.customers.period == res.scenario.horizon_months - 1) & (res.customers.stage != "dissolution")
    ]
    return last.groupby("replication")["rung"].mean()


@pytest.mark.slow
def test_higher_transaction_uncertainty_gives_more_dissolution():
    def arm(mean):
        return small(
            replications=REPS,
            horizon_months=36,
            population={"customers": 600},
            segments=[{"name": "all", "transaction_uncertainty": {"mean": mean}}],
        )

    assert_positive(paired(arm(0.15), arm(0.7), dissolution_rate))


@pytest.mark.slow
def test_more_trust_building_effort_gives_higher_rungs():
    def arm(rate):
        return small(
            replications=REPS,
            horizon_months=36,
            population={"customers": 600},
            postures={"transactional": {"interaction_rate": rate}},
        )

    assert_positive(paired(arm(0.05), arm(0.6), mean_rung_in_relationship))


@pytest.mark.slow
def test_higher_failure_rate_lowers_satisfaction():
    def arm(p):
        return small(
            replications=REPS, horizon_months=24, population={"customers": 600}, service={"failure_probability": p}
        )

    def satisfaction(res):
        c = res.customers
        return c[c.stage != "awareness"].groupby("replication")["satisfaction"].mean()

    assert_positive(paired(arm(0.3), arm(0.02), satisfaction))
