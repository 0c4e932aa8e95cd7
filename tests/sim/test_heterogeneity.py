"""Lasting heterogeneity (segments[*].heterogeneity): lifelong multipliers of the purchase chance and the hazard."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim.engine.simulate import simulate
from sim.stages import Stage
from tests.conftest import small


def market(customers: int = 2000, months: int = 24, **heterogeneity) -> object:
    return small(
        population={"customers": customers, "referral_pool": 0.5},
        horizon_months=months,
        segments=[{"heterogeneity": heterogeneity}],
    )


@pytest.mark.parametrize("shape", [0.5, 2.0, 8.0])
def test_multipliers_have_mean_one_and_the_segments_shape(shape):
    c = simulate(market(40000, 1, purchase_shape=shape, hazard_shape=shape), 0).customers
    for x in (c.buying[: c.n], c.staying[: c.n]):
        assert abs(x.mean() - 1.0) < 3 * np.sqrt(1.0 / shape / len(x))  # Gamma(k, 1/k): variance 1/k
        assert stats.kstest(x, stats.gamma(shape, scale=1.0 / shape).cdf).pvalue > 1e-3
    # drawn apart: under independence the sample correlation has SE 1/sqrt(n); 4 SE, one-sided
    assert np.corrcoef(c.buying[: c.n], c.staying[: c.n])[0, 1] < 4 / np.sqrt(c.n)


def test_without_heterogeneity_every_multiplier_is_one_and_the_rows_are_unchanged():
    plain, none = simulate(small(), 0).customers, simulate(market(300, 24), 0).customers
    assert (none.buying[: none.n] == 1.0).all() and (none.staying[: none.n] == 1.0).all()
    np.testing.assert_array_equal(plain.wallet[: plain.n], none.wallet[: none.n])


def purchase_correlation(sc, r: int) -> float:
    """Correlation, across customers who ever bought, of their purchases in the first and the second year."""
    first = simulate(sc.with_overrides(horizon_months=12), r).customers
    both = simulate(sc, r).customers
    n = first.n  # the same places: the first year of the longer run is the shorter run
    x, y = first.purchases[:n].astype(float), (both.purchases[:n] - first.purchases[:n]).astype(float)
    bought = (x + y) > 0
    return float(np.corrcoef(x[bought], y[bought])[0, 1])


def test_frequent_buyers_stay_frequent_with_a_purchase_multiplier():
    """The issue's measure: the correlation of early and late purchases rises with lasting heterogeneity."""
    plain = [purchase_correlation(market(3000, 24), r) for r in range(4)]
    varied = [purchase_correlation(market(3000, 24, purchase_shape=1.0), r) for r in range(4)]
    d = np.array(varied) - np.array(plain)  # paired by replication
    assert d.mean() > 3 * d.std(ddof=1) / np.sqrt(len(d)) and d.mean() > 0.02, (plain, varied)


def test_customers_with_a_higher_hazard_multiplier_leave_sooner():
    c = simulate(market(20000, 36, hazard_shape=1.0), 0).customers
    was = c.acquired_month[: c.n] >= 0
    gone = (c.stage[: c.n] == Stage.DISSOLUTION)[was]
    high = c.staying[: c.n][was] > np.median(c.staying[: c.n][was])
    a, b = gone[high], gone[~high]
    se = np.sqrt(a.var() / len(a) + b.var() / len(b))
    assert a.mean() - b.mean() > 3 * se, (a.mean(), b.mean())


def test_the_lifetimes_table_carries_each_customers_multipliers():
    from sim.experiments import run

    sc = market(300, 12, purchase_shape=2.0)
    lt = run(sc.with_overrides(replications=1)).lifetimes
    c = simulate(sc, 0).customers
    np.testing.assert_array_equal(lt.purchase_multiplier.to_numpy(), c.buying[: c.n])
    assert (lt.hazard_multiplier == 1.0).all()
