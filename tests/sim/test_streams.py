"""Named random streams: a purpose's draws do not depend on which other purposes exist, on market size or on order."""

from __future__ import annotations

import numpy as np
from scipy import stats

from sim.engine.streams import MonthDraws, purpose_key


def opened(seed: int, replication: int, month: int, n: int) -> MonthDraws:
    """Draws of month `month` with customers of identities 0..n-1 in places 0..n-1."""
    d = MonthDraws(seed, replication)
    d.open(month, np.arange(n))
    return d


def test_a_purpose_draws_the_same_whatever_else_is_drawn():
    alone, crowded = opened(7, 3, 4, 50), opened(7, 3, 4, 50)
    crowded("purchase")
    crowded("a.new.mechanism")
    crowded("growth_offer.0", 3)
    np.testing.assert_array_equal(alone("ladder.up"), crowded("ladder.up"))


def test_customer_k_meets_the_same_draw_in_a_larger_market():
    small, large = opened(1, 0, 2, 40), opened(1, 0, 2, 200)
    np.testing.assert_array_equal(small("purchase"), large("purchase")[:40])
    np.testing.assert_array_equal(small("growth_offer.1", 3), large("growth_offer.1", 3)[:40])


def test_a_customer_draws_by_identity_wherever_it_sits_and_alone():
    d = opened(3, 1, 5, 100)
    shuffled = MonthDraws(3, 1)
    order = np.random.default_rng(0).permutation(100)
    shuffled.open(5, order)
    np.testing.assert_array_equal(shuffled("stage"), d("stage")[order])
    places = np.array([7, 3, 99])
    np.testing.assert_array_equal(d.at("stage", places), d("stage")[places])
    np.testing.assert_array_equal(d.at("growth_offer.2", places, 3), d("growth_offer.2", 3)[places])


def test_purposes_months_and_replications_are_independent_streams():
    n = 1000
    a, b = opened(1, 0, 0, n)("purchase"), opened(1, 0, 0, n)("service.failure")
    c, e = opened(1, 0, 1, n)("purchase"), opened(1, 1, 0, n)("purchase")
    for x, y in ((a, b), (a, c), (a, e), (a[:-1], a[1:])):
        assert abs(np.corrcoef(x, y)[0, 1]) < 4 / np.sqrt(n)  # 4 standard errors of a zero correlation
    assert purpose_key("purchase") == purpose_key("purchase") != purpose_key("purchases")


def test_uniforms_are_uniform_on_the_open_interval():
    """Kolmogorov-Smirnov over 200k draws of many streams, and the mean of each row of a wide draw."""
    d = opened(11, 2, 3, 20_000)
    u = np.concatenate([d(f"s{i}") for i in range(10)])
    assert u.min() > 0.0 and u.max() < 1.0
    assert stats.kstest(u, "uniform").pvalue > 1e-4  # a false alarm once in 10,000 seeds
    wide = d("growth_offer.0", 3)
    se = np.sqrt(1 / 12 / len(wide))
    assert np.all(np.abs(wide.mean(axis=0) - 0.5) < 4 * se)


def test_draws_within_a_month_are_cached():
    d = opened(5, 0, 0, 100)
    first = d("stage")
    assert d("stage") is first
    d.open(1, np.arange(100))
    assert not np.array_equal(d("stage"), first)
