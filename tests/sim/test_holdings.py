"""Portfolio holdings as a policy: the firm serves a share of each segment (or chosen customers)."""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.simulate import simulate
from sim.experiments import run
from sim.results.referrals import tree_roots
from sim.stages import Cause
from tests.conftest import small
from tests.sim.test_markov import LADDER_WITH_CHURN


def served_share(share: float, **changes):
    sc = small(**changes)
    return sc.with_overrides(segments=[{**sc.segments[0].model_dump(), "served": share}])


def test_a_served_share_lets_go_that_share_and_they_earn_nothing():
    n = 2000
    rep = simulate(served_share(0.4, population={"customers": n, "referral_pool": 0.0}), 0, 7)
    outside = rep.customers.cause[:n] == Cause.NOT_SERVED
    se = np.sqrt(0.4 * 0.6 / n)
    assert abs(outside.mean() - 0.6) < 4 * se
    assert np.all(rep.customers.clv[:n][outside] == 0.0)


def test_without_referrals_a_served_customer_lives_exactly_as_in_the_unmanaged_market():
    # Customers interact only through referrals: with none, serving fewer changes nobody else's draws
    # (common random numbers), so a policy's equity is the sum of its customers' equity in the full market.
    n = 1500
    full = simulate(small(population={"customers": n, "referral_pool": 0.0}), 0, 11).customers
    part = simulate(served_share(0.5, population={"customers": n, "referral_pool": 0.0}), 0, 11).customers
    kept = part.cause[:n] != Cause.NOT_SERVED
    assert np.array_equal(part.clv[:n][kept], full.clv[:n][kept])


def test_a_larger_share_serves_everyone_a_smaller_one_serves():
    small_share = simulate(served_share(0.3), 0, 5).customers
    large_share = simulate(served_share(0.7), 0, 5).customers
    n = min(small_share.n, large_share.n)
    served_small = small_share.cause[:300] != Cause.NOT_SERVED
    served_large = large_share.cause[:300] != Cause.NOT_SERVED
    assert n >= 300 and np.all(served_large[served_small]) and served_large.sum() > served_small.sum()


def test_newcomers_come_only_through_served_customers_and_are_taken_on():
    advocates = {"initial_rungs": [0, 0, 0, 0, 0, 1, 0, 0], "initial_stages": [0, 0, 0, 1]}
    sc = small(population={"customers": 3000, "referral_pool": 1.0}, horizon_months=36)
    sc = sc.with_overrides(segments=[{**sc.segments[0].model_dump(), **advocates, "served": 0.5}])
    c = simulate(sc, 0, 3).customers
    newcomers = np.arange(3000, c.n)
    assert len(newcomers) > 100
    root = tree_roots(c.referred_by[: c.n])[3000:]
    assert np.all(c.cause[root] != Cause.NOT_SERVED)  # whom the firm lets go refers nobody
    assert np.all(c.cause[newcomers] != Cause.NOT_SERVED)
    row = run(sc, 1, 3).replications.iloc[0]
    assert row["not_served"] == (c.cause[:3000] == Cause.NOT_SERVED).sum()
    assert row["dissolved"] < row["customers"] - row["not_served"]  # let go is not counted as churn


def test_per_customer_holdings_override_the_segment_share():
    chance = np.zeros(300)
    chance[:100] = 1.0
    c = simulate(small(), 0, 2, served=chance).customers
    assert np.all(c.cause[:100] != Cause.NOT_SERVED)
    assert np.all(c.cause[100:300] == Cause.NOT_SERVED)


@pytest.mark.parametrize(
    "mode",
    [
        {"behaviour": "markov", "markov": {"transitions": LADDER_WITH_CHURN.tolist()}, "segments": [{"served": 0.5}]},
        {"behaviour": "bgnbd", "segments": [{"buy_till_you_die": {}, "served": 0.5}]},
    ],
)
def test_every_behaviour_mode_honours_the_served_share(mode):
    sc = small(**mode)
    c = simulate(sc, 0, 4).customers
    outside = c.cause[: c.n] == Cause.NOT_SERVED
    assert abs(outside[:300].mean() - 0.5) < 4 * np.sqrt(0.25 / 300)  # 4 standard errors of a binomial share
    assert np.all(c.clv[: c.n][outside] == 0.0)
