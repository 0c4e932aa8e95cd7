"""Discrete-time customer files: BG/BB fitted against lifetimes, the bgbb mode against its closed forms, detection."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.app.cli import app
from sim.calibration import bgbb
from sim.engine.simulate import simulate
from sim.stages import Stage
from tests.conftest import small

runner = CliRunner()
FIT = {"alpha": 1.204, "beta": 0.750, "gamma": 0.657, "delta": 2.783}  # Fader, Hardie and Shang (2010), table 2


def donations() -> pd.DataFrame:
    """The donations cohort shipped with lifetimes: (x, t_x, n) of 11,104 donors, 6 yearly appeals after 1995."""
    from lifetimes.datasets import load_donations

    return load_donations().rename(columns={"periods": "n"})


def donations_log() -> pd.DataFrame:
    """A dated log with exactly the donations histories: a gift each 15 June, the first in 1995."""
    rng = np.random.default_rng(0)
    rows, customer = [], 0
    for h in donations().itertuples():
        for _ in range(h.weights):
            years = [0]
            if h.frequency:
                earlier = rng.choice(np.arange(1, h.recency), h.frequency - 1, replace=False) if h.frequency > 1 else []
                years += [*sorted(earlier), h.recency]
            rows += [(customer, pd.Timestamp(1995 + y, 6, 15), float(rng.lognormal(3.0, 0.5))) for y in years]
            customer += 1
    return pd.DataFrame(rows, columns=["customer", "date", "amount"])


def test_bgbb_fit_on_donations_matches_lifetimes():
    from lifetimes import BetaGeoBetaBinomFitter

    d = donations()
    fit = bgbb.fit_bgbb(d)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = BetaGeoBetaBinomFitter().fit(d.frequency, d.recency, d.n, weights=d.weights)
    for name in bgbb.PARAMETERS:
        assert fit.params[name] == pytest.approx(ref.params_[name], abs=1e-3)
        assert fit.params[name] == pytest.approx(FIT[name], abs=1e-3)
        assert fit.se[name] == pytest.approx(ref.summary.loc[name, "se(coef)"], rel=1e-2)
    assert fit.identified
    theirs = ref.conditional_expected_number_of_purchases_up_to_time(5, d.frequency, d.recency, d.n)
    ours = bgbb.conditional_expected_purchases(5, d.frequency, d.recency, d.n, **ref.params_.to_dict())
    np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-9)


def test_a_dated_log_gives_the_donations_histories_and_is_found_discrete():
    log = donations_log()
    assert bgbb.discrete_calendar(log) == "year"
    summary = bgbb.period_summary(log, "2001-12-31", "year")
    got = summary.groupby(["frequency", "recency", "n"]).size().rename("weights").reset_index()
    want = donations().sort_values(["frequency", "recency"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got.sort_values(["frequency", "recency"]).reset_index(drop=True), want)


def bgbb_market(customers: int, periods: int) -> object:
    """A BG/BB population at the donations fit, one opportunity a year, over `periods` years."""
    return small(
        behaviour="bgbb",
        segments=[{"discrete_time": {**FIT, "period_months": 12}}],
        horizon_months=12 * periods + 1,
        population={"customers": customers, "referral_pool": 0.0},
    )


def test_bgbb_mode_makes_the_closed_form_expected_transactions():
    """Mean repeat transactions in the first n opportunities are E[X(n)] (FHS 2010, eq. 7), within 3 SE."""
    c = simulate(bgbb_market(40000, 6), 0).customers
    x = c.purchases[: c.n].astype(float)
    expected = bgbb.expected_purchases(6, **FIT)
    assert abs(x.mean() - expected) < 3 * x.std(ddof=1) / np.sqrt(len(x))
    assert x.max() <= 6  # one transaction an opportunity at most


def test_bgbb_residual_run_off_matches_its_closed_form():
    sc = bgbb_market(40000, 3)
    long = {"tolerance": 1e-6, "max_years": 100}  # with_overrides replaces the whole table: say it all
    run_off = simulate(sc.with_overrides(valuation={"residual": "run_off", **long}), 0).customers
    closed = simulate(sc.with_overrides(valuation={"residual": "state"}), 0).customers
    alive = run_off.stage[: run_off.n] != Stage.DISSOLUTION
    d = run_off.residual[: run_off.n][alive] - closed.residual[: closed.n][alive]
    se = d.std(ddof=1) / np.sqrt(len(d))
    assert abs(d.mean()) < 3 * se and se < 0.02 * closed.residual[: closed.n][alive].mean()
    assert (closed.residual[: closed.n][~alive] == 0).all()


def test_calibrate_bgbb_writes_the_parameters_and_a_scenario_that_runs(tmp_path):
    log = donations_log()
    path = tmp_path / "donations.csv"
    log[log.customer % 4 == 0].rename(columns={"customer": "customer_id"}).to_csv(path, index=False)  # 2,776
    out = tmp_path / "don.toml"
    args = ["calibrate", str(path), "--calibration-end", "1998-12-31", "--out", str(out), "--model", "bgbb"]
    res = runner.invoke(app, [*args, "--period", "year", "-r", "4"])
    assert res.exit_code == 0, res.output
    params = pd.read_csv(tmp_path / "don.parameters.csv")
    assert {"parameter", "estimate", "se"} <= set(params.columns)
    assert set(bgbb.PARAMETERS) <= set(params.parameter)
    tracking = pd.read_csv(tmp_path / "don.tracking.csv")
    assert (tracking.period == "holdout").sum() == 3  # 1999, 2000, 2001
    res = runner.invoke(app, ["run", str(out), "-r", "2", "-q", "--out", str(tmp_path / "run")])
    assert res.exit_code == 0, res.output


def test_models_of_continuous_time_refuse_a_discrete_log_and_name_the_one_that_fits(tmp_path):
    path = tmp_path / "donations.csv"
    donations_log().rename(columns={"customer": "customer_id"}).to_csv(path, index=False)
    args = ["calibrate", str(path), "--calibration-end", "1998-12-31", "--out", str(tmp_path / "a.toml")]
    for model in ("agent", "bgnbd"):
        res = runner.invoke(app, [*args, "--model", model])
        assert res.exit_code != 0 and "--model bgbb --period year" in " ".join(res.output.split()), res.output
        assert "Traceback" not in res.output


def test_each_mode_refuses_a_fitted_table_it_never_reads_as_a_lever():
    from sim.engine.modes import check_levers
    from sim.scenario import ScenarioError

    for sc, path in [
        (small(), "segments[0].discrete_time.alpha"),
        (bgbb_market(10, 1), "segments[0].buy_till_you_die.r"),
        (small(behaviour="bgnbd", segments=[{"buy_till_you_die": {}}]), "segments[0].discrete_time.alpha"),
    ]:
        with pytest.raises(ScenarioError, match="never reads"):
            check_levers(sc, [path], "a variant")
    check_levers(bgbb_market(10, 1), ["segments[0].discrete_time.alpha"], "a variant")  # its own table: read
