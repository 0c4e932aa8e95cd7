"""Calibration on the real CDNOW sample (Fader, Hardie and Lee 2005), parameter recovery, and bad logs.

CDNOW ships inside the `lifetimes` wheel, a test-only dependency: the data are
not copied into this repository.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.calibration.bgnbd import (
    expected_purchases,
    fit_bgnbd,
    fit_gamma_gamma,
    simulate_transactions,
    summary_from_times,
)
from sim.calibration.calibrate import fit_log, validate
from sim.calibration.transactions import Columns, LogError, read_log, rfm, summarize

try:
    import lifetimes
except ImportError:  # in CI the test extra installs it; anywhere else say what is missing
    if os.environ.get("CI") == "true":
        raise
    pytest.skip(
        "the CDNOW sample ships with the test-only dependency lifetimes: pip install 'crmsim[test]'",
        allow_module_level=True,
    )
from lifetimes import BetaGeoFitter, GammaGammaFitter  # noqa: E402
from lifetimes.datasets import load_cdnow_summary  # noqa: E402

CDNOW = Path(lifetimes.datasets.__file__).with_name("CDNOW_sample.txt")
CAL_END = "1997-09-30"  # 39 weeks of calibration, 39 of holdout


@pytest.fixture(scope="module")
def log():
    raw = pd.read_csv(
        CDNOW,
        sep=r"\s+",
        header=None,
        names=["orig", "customer_id", "date", "cds", "amount"],
        dtype={"customer_id": str, "date": str},
    )
    # CDNOW has 21 same-day repeat rows: real purchases, aggregated by day in the summary.
    return read_log(None, Columns(), date_format="%Y%m%d", frame=raw, allow_duplicates=True)


@pytest.fixture(scope="module")
def summary(log):
    return summarize(log, CAL_END)


def test_cdnow_is_a_continuous_time_log(log):
    from sim.calibration.bgbb import discrete_calendar

    assert discrete_calendar(log) is None  # purchases on 546 days, often two a month: BG/NBD, not BG/BB


def test_summary_from_the_raw_log_matches_the_published_summary(summary):
    ref = load_cdnow_summary(index_col=[0])
    ref.index = ref.index.map(lambda i: f"{i:04d}")
    s = summary.reindex(ref.index)
    assert len(summary) == 2357
    assert (s["frequency"] == ref["frequency"]).all()
    assert np.allclose(s["recency"], ref["recency"], atol=0.005) and np.allclose(
        s["T"], ref["T"], atol=0.005
    )  # published to 2 decimals


def test_bgnbd_reproduces_the_published_estimates_and_lifetimes(summary):
    fit = fit_bgnbd(summary)
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}  # Fader, Hardie and Lee (2005)
    for k, v in published.items():
        assert round(fit.params[k], 2) == round(v, 2), (k, fit.params[k])
    assert fit.log_likelihood == pytest.approx(-9582.4, abs=0.1)
    ref = BetaGeoFitter(penalizer_coef=0.0).fit(summary["frequency"], summary["recency"], summary["T"])
    assert np.allclose(
        [fit.params[k] for k in ("r", "alpha", "a", "b")], ref.params_[["r", "alpha", "a", "b"]], rtol=1e-3
    )


def test_gamma_gamma_reproduces_the_published_estimates_and_lifetimes(summary):
    fit = fit_gamma_gamma(summary)
    published = {"p": 6.25, "q": 3.74, "gamma": 15.44}  # Fader, Hardie and Lee (2005), RFM and CLV
    for k, v in published.items():
        assert fit.params[k] == pytest.approx(v, abs=0.01), (k, fit.params[k])
    rep = summary[summary.frequency > 0]
    ref = GammaGammaFitter(penalizer_coef=0.0).fit(rep["frequency"], rep["monetary_value"])
    assert np.allclose([fit.params[k] for k in ("p", "q")], ref.params_[["p", "q"]], rtol=1e-3)
    assert fit.params["gamma"] == pytest.approx(ref.params_["v"], rel=1e-3)


@pytest.mark.slow
def test_bgnbd_recovers_known_parameters_within_their_standard_errors():
    true = {"r": 0.5, "alpha": 6.0, "a": 0.7, "b": 3.0}
    rng = np.random.default_rng(11)
    T = rng.uniform(30, 52, 6000)
    fit = fit_bgnbd(summary_from_times(simulate_transactions(6000, T, **true, rng=rng), T))
    for k, v in true.items():
        assert abs(fit.params[k] - v) < 3 * fit.se[k], (k, fit.params[k], fit.se[k])


def test_gamma_gamma_recovers_known_parameters_within_their_standard_errors():
    p, q, gamma = 6.0, 4.0, 15.0
    rng = np.random.default_rng(12)
    x = rng.integers(1, 10, 4000)
    nu = rng.gamma(q, 1 / gamma, 4000)
    mean_spend = np.array([rng.gamma(p, 1 / v, k).mean() for v, k in zip(nu, x, strict=True)])
    fit = fit_gamma_gamma(pd.DataFrame({"frequency": x, "monetary_value": mean_spend}))
    for k, v in {"p": p, "q": q, "gamma": gamma}.items():
        assert abs(fit.params[k] - v) < 3 * fit.se[k], (k, fit.params[k], fit.se[k])


HOLDOUT_MAPE_BOUND = 0.10  # documented in README: the calibrated CDNOW population tracks the holdout within 10%


@pytest.mark.slow
def test_holdout_tracking_error_is_reported_and_below_the_documented_bound(log):
    cal = validate(fit_log(log, CAL_END), log, replications=10)
    assert cal.errors["holdout_cumulative_mape"] < HOLDOUT_MAPE_BOUND
    assert set(cal.tracking.period) == {"calibration", "holdout"} and len(cal.tracking) == 78
    # Customers who bought more in calibration buy more in the holdout, as predicted.
    assert (
        cal.conditional["predicted"].is_monotonic_increasing
        and cal.conditional["actual"].iloc[-1] > cal.conditional["actual"].iloc[0]
    )


@pytest.mark.slow
def test_engine_bgnbd_mode_matches_expected_repeat_purchases():
    """The calibrated scenario runs through the engine; its purchases follow E[X(t)] (Fader et al. 2005, eq. 9)."""
    from sim.engine.simulate import simulate
    from sim.scenario import build_scenario

    n = 20_000
    sc = build_scenario(
        {
            "behaviour": "bgnbd",
            "horizon_months": 12,
            "record": "customers",
            "population": {"customers": n, "referral_pool": 0},
            "segments": [{"buy_till_you_die": {}}],
        }
    )
    rep = simulate(sc, 0)
    per_customer = np.cumsum(rep.recorder.purchases[:, :n], axis=0)  # months x customers
    f = sc.segments[0].buy_till_you_die
    weeks = np.arange(1, 13) * 365.25 / 12 / 7
    expected = expected_purchases(weeks, f.r, f.alpha, f.a, f.b)
    mean = per_customer.mean(axis=1)
    se = per_customer.std(axis=1, ddof=1) / np.sqrt(n)
    assert np.all(np.abs(mean - expected) < 3 * se), np.c_[mean, expected, se]


def test_calibrated_scenario_has_a_segment_per_log_segment(log):
    seg = log.assign(segment=np.where(log.customer.astype(int) % 2 == 0, "even", "odd"))
    cal = fit_log(seg, CAL_END)
    assert sorted(cal.fits) == ["even", "odd"] and cal.scenario.behaviour == "bgnbd"
    assert sum(s.share for s in cal.scenario.segments) == pytest.approx(1.0)


def test_rfm_scores(log):
    t = rfm(log, CAL_END)
    assert t[["r_score", "f_score", "m_score"]].isin(range(1, 6)).all().all()
    assert t.loc[t.f_score == 5, "frequency"].min() >= t.loc[t.f_score == 1, "frequency"].max()


BAD = {
    "bad dates": ("customer_id,date,amount\n1,2020-01-01,5\n2,not-a-date,3\n3,2020-13-45,2\n", "2 dates do not parse"),
    "negative amounts": (
        "customer_id,date,amount\n1,2020-01-01,5\n1,2020-01-02,-3\n",
        "1 amounts are negative (rows 3)",
    ),
    "duplicates": ("customer_id,date,amount\n1,2020-01-01,5\n1,2020-01-01,5\n1,2020-01-01,5\n", "2 duplicate rows"),
    "missing amount column": ("customer_id,date,value\n1,2020-01-01,5\n", "missing columns amount ('amount')"),
    "non-numeric amount": ("customer_id,date,amount\n1,2020-01-01,five\n", "1 amounts are missing or not numbers"),
}


@pytest.mark.parametrize("text,match", BAD.values(), ids=BAD.keys())
def test_malformed_logs_give_clear_errors(tmp_path, text, match):
    f = tmp_path / "log.csv"
    f.write_text(text)
    with pytest.raises(LogError, match=match.replace("(", r"\(").replace(")", r"\)")):
        read_log(f)


def test_calibrate_command_writes_a_scenario_that_runs(tmp_path, log):
    from typer.testing import CliRunner

    from sim.app.cli import app
    from sim.scenario import load_scenario

    f = tmp_path / "cdnow.csv"
    log.assign(date=log.date.dt.strftime("%Y-%m-%d")).rename(columns={"customer": "customer_id"}).to_csv(f, index=False)
    out = tmp_path / "cal" / "cdnow.toml"
    runner = CliRunner()
    args = [
        "calibrate",
        str(f),
        "--calibration-end",
        CAL_END,
        "--out",
        str(out),
        "--replications",
        "3",
        "--allow-duplicates",
    ]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "r = 0.2426" in out.read_text()  # the provenance comment names the estimate
    for suffix in (".parameters.csv", ".tracking.csv", ".tracking.png", ".conditional.csv", ".rfm.csv"):
        assert (tmp_path / "cal" / f"cdnow{suffix}").is_file(), suffix
    assert load_scenario(out).behaviour == "bgnbd"
    res = runner.invoke(app, ["run", str(out), "-r", "2", "--out", str(tmp_path / "run"), "-q"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, args)
    assert res.exit_code == 2 and "already exist" in res.output


def test_run_writes_a_transaction_log_that_calibrate_reads(tmp_path):
    from typer.testing import CliRunner

    from sim.app.cli import app

    scen = tmp_path / "cohorts.toml"
    scen.write_text("horizon_months = 12\nreplications = 1\n[population]\ncustomers = 0\ncohorts = [150, 100, 80]\n")
    done = CliRunner().invoke(
        app, ["run", str(scen), "--transactions", "--customer-table", "--out", str(tmp_path / "run"), "-q"]
    )
    assert done.exit_code == 0, done.output
    log = read_log(tmp_path / "run" / "transactions.csv", allow_duplicates=True)
    panel = pd.read_csv(tmp_path / "run" / "customers.csv")
    assert len(log) == panel.purchases.sum()  # one row per purchase
    assert log.amount.sum() == pytest.approx(panel.revenue.sum(), rel=1e-4)  # amounts rounded to cents
    first = log.groupby("customer").date.min()
    months = ((first.dt.year - 2025) * 12 + first.dt.month - 1).value_counts().sort_index()
    assert months.tolist() == [150, 100, 80]  # every customer's first purchase falls in its cohort's month
    again = CliRunner().invoke(app, ["run", str(scen), "--transactions", "--out", str(tmp_path / "again"), "-q"])
    assert again.exit_code == 0 and not (tmp_path / "again" / "customers.csv").exists()
    assert (tmp_path / "again" / "transactions.csv").read_text() == (tmp_path / "run" / "transactions.csv").read_text()
    bad = CliRunner().invoke(app, ["run", str(scen), "--transactions", "--start-date", "01/02/2025", "-q"])
    assert bad.exit_code != 0 and "YYYY-MM-DD" in bad.output
