"""Named random streams: a purpose's draws do not depend on which other purposes exist or on market size."""

from __future__ import annotations

import numpy as np

from sim.engine.streams import MonthDraws, purpose_key


def test_a_purpose_draws_the_same_whatever_else_is_drawn():
    alone = MonthDraws(seed=7, replication=3, capacity=50)
    alone.open(month=4, rows=50)
    crowded = MonthDraws(seed=7, replication=3, capacity=50)
    crowded.open(month=4, rows=50)
    crowded("purchase")
    crowded("a.new.mechanism")
    crowded("growth_offer.0", 3)
    np.testing.assert_array_equal(alone("ladder.up"), crowded("ladder.up"))


def test_customer_k_meets_the_same_draw_in_a_larger_market():
    small, large = MonthDraws(1, 0, 200), MonthDraws(1, 0, 200)
    small.open(2, rows=40)
    large.open(2, rows=200)
    np.testing.assert_array_equal(small("purchase"), large("purchase")[:40])
    np.testing.assert_array_equal(small("growth_offer.1", 3), large("growth_offer.1", 3)[:40])


def test_purposes_months_and_replications_are_independent_streams():
    d = MonthDraws(1, 0, 1000)
    d.open(0, 1000)
    a, b = d("purchase").copy(), d("service.failure").copy()
    d.open(1, 1000)
    c = d("purchase").copy()
    other = MonthDraws(1, 1, 1000)
    other.open(0, 1000)
    e = other("purchase")
    for x, y in ((a, b), (a, c), (a, e)):
        assert abs(np.corrcoef(x, y)[0, 1]) < 4 / np.sqrt(1000)  # 4 standard errors of a zero correlation
    assert purpose_key("purchase") == purpose_key("purchase") != purpose_key("purchases")


def test_draws_within_a_month_are_cached_and_buffers_reused():
    d = MonthDraws(5, 0, 100)
    d.open(0, 100)
    first = d("stage")
    assert d("stage") is first
    d.open(1, 100)
    assert d("stage").base is first.base  # the same buffer, refilled
