"""Lifetime value past the horizon ([valuation]): run-off and state residuals, horizon invariance, known answers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from optimize.clv import markov_clv
from sim import load_scenario
from sim.engine.market import run_off_goes_on
from sim.engine.simulate import simulate
from sim.experiments import run
from sim.stages import Stage
from tests.conftest import small
from tests.sim.test_markov import LADDER_MARGINS, LADDER_WITH_CHURN, markov_scenario

ROOT = Path(__file__).resolve().parents[2]
COHORT = (36, 47)  # months of acquisition of the customers compared across horizons


def cohort_clv(scenario, horizon: int, residual: str = "run_off"):
    """Lifetime value of the customers acquired in COHORT months, by (replication, customer)."""
    lt = run(scenario.with_overrides(horizon_months=horizon, valuation={"residual": residual})).lifetimes
    chosen = lt[lt.acquired_month.between(*COHORT)]
    return chosen.set_index(["replication", "customer"])["clv"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["baseline", "segments"])
def test_lifetime_value_does_not_depend_on_the_horizon(name):
    """The same customers are worth the same at a 60- and a 120-month horizon (issue 32's criterion)."""
    sc = load_scenario(ROOT / "scenarios" / f"{name}.toml").with_overrides(replications=4, compare={}, sweep={})
    short, long = cohort_clv(sc, 60), cohort_clv(sc, 120)
    assert short.index.equals(long.index) and len(short) > 200  # the same customers, acquired before either horizon
    d = long - short
    se = d.std(ddof=1) / np.sqrt(len(d))
    allowed = max(3 * se, 0.1 * abs(long.mean()))
    assert abs(d.mean()) <= allowed, (short.mean(), long.mean(), se)
    # Without the residual the same customers' value moves with the cut-off, by several times that allowance.
    cut = cohort_clv(sc, 120, "none") - cohort_clv(sc, 60, "none")
    assert abs(cut.mean()) > 3 * allowed


@pytest.mark.slow
def test_run_off_is_what_a_longer_run_adds():
    """A run-off to month 120 gives the customers in a relationship at 60 what a 120-month run adds to their CLV."""
    sc = load_scenario(ROOT / "scenarios" / "baseline.toml").with_overrides(replications=3, compare={}, sweep={})
    short = run(sc.with_overrides(horizon_months=60, valuation={"tolerance": 1e-9, "max_years": 5})).lifetimes
    long = run(sc.with_overrides(horizon_months=120, valuation={"residual": "none"})).lifetimes
    short = short.set_index(["replication", "customer"])
    long = long.set_index(["replication", "customer"]).reindex(short.index)
    valued = short.final_stage.isin(["exploration", "expansion", "commitment"]).to_numpy()
    added = (long.clv_horizon - short.clv_horizon)[valued]
    d = added - short.residual_value[valued]
    assert valued.sum() > 500 and short.residual_value[valued].abs().mean() > 100
    assert abs(d.mean()) < 3 * d.std(ddof=1) / np.sqrt(len(d)) + 1e-9, (
        added.mean(),
        short.residual_value[valued].mean(),
    )


def test_no_residual_for_those_who_left_or_never_bought(small_scenario):
    small_scenario = small_scenario.with_overrides(valuation={"residual": "run_off"})
    lt = run(small_scenario).lifetimes
    gone = lt.final_stage.isin(["dissolution", "awareness"])
    assert (lt.loc[gone, "residual_value"] == 0).all()
    assert (lt.loc[~gone, "residual_value"] != 0).mean() > 0.9
    none = run(small_scenario.with_overrides(valuation={"residual": "none"})).lifetimes
    assert (none.residual_value == 0).all() and np.array_equal(none.clv, lt.clv_horizon)


@pytest.mark.slow
def test_markov_residual_is_its_closed_form():
    """In Markov mode a customer on rung k at the horizon H is worth V[k] / (1 + i)^H after it (Pfeifer-Carraway)."""
    sc = markov_scenario(LADDER_WITH_CHURN, LADDER_MARGINS, customers=20000).with_overrides(
        horizon_months=12, valuation={"tolerance": 1e-6}
    )
    lt = run(sc).lifetimes
    i = sc.monthly_discount_rate
    expected = markov_clv(LADDER_WITH_CHURN, LADDER_MARGINS, i) / (1 + i) ** sc.horizon_months
    alive = lt[lt.final_stage != "dissolution"]
    for rung, v in enumerate(expected, start=1):
        res = alive.loc[alive.final_rung == rung, "residual_value"].to_numpy()
        assert len(res) > 100
        se = res.std(ddof=1) / np.sqrt(len(res))
        assert abs(res.mean() - v) < 3 * se, f"rung {rung}: run-off {res.mean():.3f} vs {v:.3f} (SE {se:.3f})"


@pytest.mark.slow
def test_state_residual_recovers_the_markov_closed_form():
    """The chain the state-based residual estimates from a Markov-mode run is that mode's chain: V[k] / (1 + i)^H.

    Each replication estimates the chain afresh, so the spread of its per-rung mean over replications is the SE.
    """
    sc = markov_scenario(LADDER_WITH_CHURN, LADDER_MARGINS, customers=5000).with_overrides(
        horizon_months=12, valuation={"residual": "state"}
    )
    i = sc.monthly_discount_rate
    expected = markov_clv(LADDER_WITH_CHURN, LADDER_MARGINS, i) / (1 + i) ** sc.horizon_months
    reps = [simulate(sc, r).customers for r in range(6)]
    for rung, v in enumerate(expected):
        means = [
            c.residual[: c.n][(c.stage[: c.n] != Stage.DISSOLUTION) & (c.rung[: c.n] == rung)].mean() for c in reps
        ]
        se = np.std(means, ddof=1) / np.sqrt(len(means))
        assert abs(np.mean(means) - v) < 3 * se + 1e-9 * abs(v), f"rung {rung + 1}: {np.mean(means):.3f} vs {v:.3f}"


def test_state_residual_is_zero_out_of_a_relationship(small_scenario):
    """Prospects and the dissolved are worth nothing after the horizon; customers in a relationship are valued."""
    c = simulate(small_scenario.with_overrides(valuation={"residual": "state"}), 0).customers
    out = np.isin(c.stage[: c.n], [Stage.AWARENESS, Stage.DISSOLUTION])
    assert (c.residual[: c.n][out] == 0).all() and (c.residual[: c.n][~out] != 0).any()


def test_run_off_goes_on_while_those_left_matter():
    d = 1 / 1.01
    assert run_off_goes_on(100, 100, 0, d, 0.01) and not run_off_goes_on(0, 100, 0, d, 0.01)
    months = np.log(0.01) / np.log(d)  # with nobody leaving, discounting alone ends it
    assert run_off_goes_on(100, 100, int(months), d, 0.01) and not run_off_goes_on(100, 100, int(months) + 1, d, 0.01)
    assert run_off_goes_on(1, 100, 0, 1.0, 0.01) and not run_off_goes_on(1, 101, 0, 1.0, 0.01)  # a zero rate


@pytest.mark.slow
def test_bgnbd_residual_is_its_discounted_expected_residual_lifetime():
    """In bgnbd mode the run-off gives each customer alive at the horizon its closed-form DERL (the "state" residual).

    Both run on the same seeds, so they value the same customers in the same state at the horizon; customers
    are independent in this mode, so the SE of the mean difference comes from the customers.
    """
    # Frequent buyers who drop out often (about 3 purchases a month, p about 0.15), so that the month's purchases
    # (1 - e^(-rate p)) / p and its survival e^(-rate p) differ from their small-p approximations (rate, (1-p)^rate).
    frequent = {"r": 30.0, "alpha": 10.0, "time_unit_days": 365.25 / 12, "a": 15.0, "b": 85.0}
    sc = small(
        behaviour="bgnbd",
        segments=[{"buy_till_you_die": frequent}],
        horizon_months=3,
        population={"customers": 40000, "referral_pool": 0.0},
    )
    long = {"tolerance": 1e-6, "max_years": 60}  # with_overrides replaces the whole table: say it all
    run_off = simulate(sc.with_overrides(valuation={"residual": "run_off", **long}), 0).customers
    closed = simulate(sc.with_overrides(valuation={"residual": "state"}), 0).customers
    n = run_off.n
    alive = run_off.stage[:n] != Stage.DISSOLUTION
    assert np.array_equal(alive, closed.stage[:n] != Stage.DISSOLUTION) and alive.sum() > 6000
    assert (closed.residual[:n][~alive] == 0).all() and (closed.residual[:n][alive] > 0).all()
    d = run_off.residual[:n][alive] - closed.residual[:n][alive]
    se = d.std(ddof=1) / np.sqrt(len(d))
    assert abs(d.mean()) < 3 * se, (run_off.residual[:n][alive].mean(), closed.residual[:n][alive].mean(), se)
    assert se < 0.015 * closed.residual[:n][alive].mean()  # a test that can fail: the SE is small beside the value
