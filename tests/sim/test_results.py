"""The KPI registry and the statistics module: one list of KPIs everywhere, intervals as a textbook computes them."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps

from sim.engine.simulate import simulate
from sim.results.kpis import HEADLINE, KPIS, verdict
from sim.results.stats import mean_interval, paired_interval, welch_interval
from sim.results.tables import replication_row
from tests.conftest import small


def test_replications_table_carries_exactly_the_registered_kpis():
    row = replication_row(simulate(small(horizon_months=6, population={"customers": 60})))
    assert list(row) == ["replication", "seed", *KPIS]
    assert set(HEADLINE) <= set(KPIS)
    assert all(k.better in (-1, 0, 1) and k.unit and k.description for k in KPIS.values())


def test_mean_interval_is_the_student_t_interval():
    x = np.array([3.0, 5.0, 4.0, 8.0, 6.0])
    half = sps.t.ppf(0.975, 4) * x.std(ddof=1) / np.sqrt(5)  # by hand
    est = mean_interval(x)
    assert (est.mean, est.n) == (5.2, 5)
    assert est.low == pytest.approx(5.2 - half) and est.high == pytest.approx(5.2 + half)


def test_undefined_values_are_left_out_and_degenerate_samples_say_so():
    assert mean_interval([1.0, np.nan, 3.0]).n == 2
    assert np.isnan(mean_interval([2.0]).low)
    same = mean_interval([4.0, 4.0, 4.0])
    assert (same.low, same.high, same.sd) == (4.0, 4.0, 0.0)  # no spread: the point itself, no warning


def test_paired_and_welch_intervals():
    a, b = np.array([10.0, 12.0, 11.0, 15.0]), np.array([9.0, 10.0, 10.5, 13.0])
    paired = paired_interval(a, b)
    assert paired.mean == pytest.approx(np.mean(a - b))
    assert paired.low == pytest.approx(mean_interval(a - b).low)
    w = welch_interval(a, b)
    va, vb = a.var(ddof=1) / 4, b.var(ddof=1) / 4
    dof = (va + vb) ** 2 / (va**2 / 3 + vb**2 / 3)  # Welch-Satterthwaite
    half = sps.t.ppf(0.975, dof) * np.sqrt(va + vb)
    assert w.low == pytest.approx(a.mean() - b.mean() - half) and w.high == pytest.approx(a.mean() - b.mean() + half)


def test_verdicts_follow_the_registered_direction():
    assert verdict("profit", 1.0, 2.0) == "better"
    assert verdict("cost_to_serve", 1.0, 2.0) == "worse"
    assert verdict("time_to_commitment", -2.0, -1.0) == "better"
    assert verdict("customers", 1.0, 2.0) == "higher"
    assert verdict("profit", -1.0, 2.0) == "ns"
