"""The KPI registry and the statistics module: one list of KPIs everywhere, intervals as a textbook computes them."""

from __future__ import annotations

import numpy as np
import pandas as pd
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


def test_a_clear_but_trivial_difference_is_negligible_not_better():
    assert verdict("mean_trust", 0.001, 0.003, 0.002, 0.6) == "negligible"  # below 0.01 of trust
    assert verdict("mean_trust", 0.02, 0.04, 0.03, 0.6) == "better"
    assert verdict("profit", 100.0, 900.0, 500.0, 100_000.0) == "negligible"  # below 1% of the baseline
    assert verdict("profit", 5_000.0, 15_000.0, 10_000.0, 100_000.0) == "better"
    assert verdict("retention", -0.02, -0.01, -0.015, 0.8) == "worse"  # beyond half a point


def test_modes_leave_out_the_kpis_they_do_not_model():
    bgnbd = small(
        behaviour="bgnbd", segments=[{"buy_till_you_die": {}}], horizon_months=6, population={"customers": 60}
    )
    row = replication_row(simulate(bgnbd))
    for absent in ("share_of_wallet", "mean_trust", "growth_acceptance", "referrals", "reached_commitment"):
        assert absent not in row
    assert {"revenue", "profit", "customer_equity", "retention"} <= set(row)


def test_benjamini_hochberg_by_hand():
    from sim.results.stats import adjust_p

    got = adjust_p([0.01, 0.04, 0.03, 0.5, np.nan])
    np.testing.assert_allclose(got[:4], [0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.5])
    assert np.isnan(got[4])


def test_sweep_winners_are_corrected_for_the_number_of_points():
    import pandas as pd

    from sim.experiments import summarize_sweep

    rng = np.random.default_rng(3)
    rows = []
    for point in range(20):
        shift = 6.0 if point == 0 else 0.0  # one large real effect among 20 points
        for r in range(6):
            base = rng.normal()
            rows.append({"point": point, "x": point, "variant": "a", "replication": r, "profit": base})
            rows.append(
                {"point": point, "x": point, "variant": "b", "replication": r, "profit": base + shift + rng.normal()}
            )
    summary, value, title = summarize_sweep(pd.DataFrame(rows), ["x"], "profit", "a")
    assert "Benjamini-Hochberg" in title and value == "difference"
    assert summary.loc[summary.point == 0, "winner"].item() == "b"
    uncorrected = ((summary.ci_low > 0) | (summary.ci_high < 0)).sum()
    corrected = (summary.winner != "no clear winner").sum()
    assert corrected <= uncorrected
    assert (summary.p_adjusted >= summary.p_value).all()


def test_intervals_of_counts_and_shares_stay_within_what_they_can_be():
    from sim.results.tables import summarize

    table = pd.DataFrame({"referrals": [0.0, 0.0, 5.0], "retention": [0.99, 1.0, 0.97], "profit": [-5.0, 0.0, 9.0]})
    s = summarize(table, ("referrals", "retention", "profit")).set_index("kpi")
    assert s.loc["referrals", "ci_low"] == 0.0  # the t-interval would reach below 0
    assert s.loc["retention", "ci_high"] == 1.0  # ... or beyond 1
    assert s.loc["profit", "ci_low"] < -5.0  # money can be negative: left as it is
