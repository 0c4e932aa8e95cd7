"""Hostile transaction logs and calibrate options from the audit (issue 35): a clean, named error or a correct fit.

The base log is the real CDNOW sample (it ships in the test-only `lifetimes` wheel), cut to its first 800
customers so that each calibration takes a second or two.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.app.cli import app
from sim.calibration.bgnbd import _standard_errors
from sim.errors import CrmsimWarning

lifetimes = pytest.importorskip("lifetimes.datasets")  # the test extra installs it; CI always has it
runner = CliRunner()
CAL_END = "1997-09-30"


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    from pathlib import Path

    path = Path(lifetimes.__file__).with_name("CDNOW_sample.txt")
    raw = pd.read_csv(path, sep=r"\s+", header=None, names=["orig", "customer_id", "date", "cds", "amount"], dtype=str)
    raw = raw[raw.customer_id.astype(int) <= 800].drop(columns=["orig", "cds"])
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d").dt.strftime("%Y-%m-%d")
    return raw.reset_index(drop=True)


def _calibrate(tmp_path, log: pd.DataFrame, *extra: str):
    f = tmp_path / "log.csv"
    log.to_csv(f, index=False)
    args = ["calibrate", str(f), "--calibration-end", CAL_END, "--out", str(tmp_path / "cal.toml"), "-r", "2", "-q"]
    return runner.invoke(app, [*args, "--allow-duplicates", *extra])


def _clean(res, *words: str) -> None:
    assert res.exit_code == 2, (res.output, res.exception)
    assert "error:" in res.output and "Traceback" not in res.output
    for word in words:
        assert word in res.output, res.output


def _fitted(res, tmp_path) -> None:
    assert res.exit_code == 0, (res.output, res.exception)
    assert (tmp_path / "cal.toml").is_file()


def test_the_base_log_calibrates(tmp_path, cdnow):
    _fitted(_calibrate(tmp_path, cdnow), tmp_path)


def test_future_dates_are_reported_with_counts_and_rows_and_used(tmp_path, cdnow):
    log = cdnow.copy()
    k = len(log) // 20  # 5% of the rows, dated next decade
    log.loc[log.index[-k:], "date"] = "2036-06-01"
    with pytest.warns(CrmsimWarning, match=rf"{k} of {len(log):,} transactions are dated after today \(rows"):
        _fitted(_calibrate(tmp_path, log), tmp_path)


def test_year_zero_dates_are_refused_with_rows(tmp_path, cdnow):
    log = cdnow.copy()
    log.loc[3, "date"] = "0000-01-01"
    _clean(_calibrate(tmp_path, log), "1 dates do not parse", "rows 5")


def test_huge_and_negative_ids_and_3000_extra_columns_fit(tmp_path, cdnow):
    log = cdnow.copy()
    log["customer_id"] = np.where(log.customer_id.astype(int) % 2, "-" + log.customer_id, "9" * 40 + log.customer_id)
    extra = pd.DataFrame(np.zeros((len(log), 3000), dtype=np.int8), columns=[f"x{i}" for i in range(3000)])
    _fitted(_calibrate(tmp_path, pd.concat([log, extra], axis=1)), tmp_path)


@pytest.mark.parametrize("value", ["1" * 2_000_000, "inf", "-inf", "1e400"], ids=["2M digits", "inf", "-inf", "1e400"])
def test_amounts_that_are_not_finite_numbers_are_refused(tmp_path, cdnow, value):
    log = cdnow.copy()
    log.loc[7, "amount"] = value
    _clean(_calibrate(tmp_path, log), "amounts are", "rows 9")


def test_timezone_aware_dates_are_converted(tmp_path, cdnow):
    log = cdnow.copy()
    log["date"] = log["date"] + "T12:00:00+05:00"
    _fitted(_calibrate(tmp_path, log), tmp_path)
    plain = tmp_path / "plain"
    plain.mkdir()
    _fitted(_calibrate(plain, cdnow), plain)
    assert (tmp_path / "cal.toml").read_text().split("\n", 2)[2] == (plain / "cal.toml").read_text().split("\n", 2)[2]


def test_a_segment_that_varies_within_a_customer_is_refused(tmp_path, cdnow):
    log = cdnow.assign(seg=np.where(np.arange(len(cdnow)) % 2, "a", "b"))
    _clean(_calibrate(tmp_path, log, "--segment", "seg"), "segment varies within", "give each customer one segment")


def test_an_empty_segment_column_is_refused(tmp_path, cdnow):
    _clean(_calibrate(tmp_path, cdnow.assign(seg=""), "--segment", "seg"), "segment column is empty in every row")


@pytest.mark.parametrize(
    "options, words",
    [
        (["--date-format", "%Q"], ["--date-format '%Q'", "bad directive"]),
        (["--calibration-end", "31/12/1997"], ["--calibration-end '31/12/1997'", "YYYY-MM-DD"]),
        (["--calibration-end", "soon"], ["--calibration-end 'soon'"]),
        (["--holdout-end", "next year"], ["--holdout-end 'next year'"]),
        (["--holdout-end", "1997-01-01"], ["--holdout-end 1997-01-01", "after --calibration-end"]),
        (["--customer", "date"], ["--customer and --date both name the column 'date'"]),
        (["--amount", "customer_id"], ["--customer and --amount both name the column 'customer_id'"]),
    ],
)
def test_bad_calibrate_options_are_named(tmp_path, cdnow, options, words):
    _clean(_calibrate(tmp_path, cdnow, *options), *words)
    assert not (tmp_path / "cal.toml").exists()


def test_mixed_date_formats_name_both(tmp_path, cdnow):
    log = cdnow.copy()
    us = log.index[::3]
    log.loc[us, "date"] = pd.to_datetime(log.loc[us, "date"]).dt.strftime("%m/%d/%Y")
    _clean(_calibrate(tmp_path, log), "more than one format", "are ISO", "--date-format")


def test_a_flat_likelihood_is_not_identified_rather_than_a_crash():
    flat = lambda theta: 1.0  # noqa: E731  (the data say nothing about the parameters)
    assert np.isnan(_standard_errors(flat, np.array([1.0, 2.0]))).all()
    broken = lambda theta: float("nan")  # noqa: E731
    assert np.isnan(_standard_errors(broken, np.array([1.0, 2.0]))).all()
    bowl = lambda theta: float(np.sum((theta - 1.0) ** 2) * 50.0)  # noqa: E731  (se = 1/sqrt(100) = 0.1)
    np.testing.assert_allclose(_standard_errors(bowl, np.array([1.0, 1.0])), [0.1, 0.1], rtol=1e-4)


def test_an_estimate_that_runs_to_a_bound_is_not_identified():
    from sim.calibration.bgnbd import _mle

    # The first estimate lies beyond the edge (1e7), with a sharp, well-conditioned optimum: a standard error of
    # 0.7 on 10 million would read as precise, which is what b = 9e10 with SE 9e-15 looked like.
    fit = _mle(lambda th: float((th[0] - 1e7) ** 2 + (th[1] - 2.0) ** 2), ["far", "near"], np.ones(2), 1)
    assert fit.params["far"] > 1e6 and np.isnan(fit.se["far"]) and not fit.identified
    assert fit.params["near"] == pytest.approx(2.0, rel=1e-4) and np.isfinite(fit.se["near"])
