"""Global sensitivity on common random numbers: known answers where the model makes them exact."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.app.cli import app
from sim.errors import UsageError
from sim.experiments import sensitivity
from tests.conftest import small

# Revenue is wallet x share x price x basket, and nothing in the model reacts to the wallet's size: on the same
# draws, revenue is exactly proportional to the wallet median.  The price rise acts only through a portfolio
# policy's "reprice" action, and this scenario has no policy: it cannot move anything.
WALLET, INERT = "segments[0].wallet_median", "portfolio_policy.price_rise"
RANGES = {WALLET: [500.0, 2000.0], INERT: [0.0, 0.3]}


def test_morris_finds_a_linear_effect_and_an_inert_parameter_exactly():
    res = sensitivity(small(), RANGES, "revenue", "morris", samples=6, replications=2, n_jobs=1)
    ind = res.indices.set_index("parameter")
    assert ind.loc[INERT, "mu_star"] == 0.0 and ind.loc[INERT, "sigma"] == 0.0  # same draws at every point
    assert ind.loc[WALLET, "mu_star"] > 0 and not ind.loc[WALLET, "covers_0"]
    # A linear effect has the same elementary effect everywhere: sigma is rounding error only.
    assert ind.loc[WALLET, "sigma"] <= 1e-9 * ind.loc[WALLET, "mu_star"]
    assert len(res.experiments) == 6 * 3 * 2  # trajectories x (parameters + 1) x replications


def test_sobol_gives_all_the_variance_to_the_only_parameter_that_acts():
    res = sensitivity(small(), RANGES, "revenue", "sobol", samples=64, replications=2, n_jobs=1)
    ind = res.indices.set_index("parameter")
    assert ind.loc[INERT, "S1"] == 0.0 and ind.loc[INERT, "ST"] == 0.0
    assert ind.loc[INERT, "S1_covers_0"] and ind.loc[INERT, "ST_covers_0"]
    for index in ("S1", "ST"):  # the exact answer is 1; each estimate within its own 95% interval of it
        assert abs(ind.loc[WALLET, index] - 1.0) <= ind.loc[WALLET, f"{index}_conf"] + 1e-9
    assert list(res.second_order.columns) == ["parameter_1", "parameter_2", "S2", "S2_conf", "covers_0"]
    # The noise share is the replication variance of a point's mean over the spread of the point means.
    by_point = res.experiments.groupby("point")["revenue"]
    expected = by_point.var(ddof=1).mean() / 2 / np.var(by_point.mean(), ddof=1)
    assert res.noise_share == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "method, samples, ranges, match",
    [
        ("sobol", 1, RANGES, "at least 2"),
        ("morris", 5, {WALLET: [2000.0, 500.0]}, "LOW < HIGH"),
        ("anova", 8, RANGES, "morris"),
        ("morris", 5, {}, "no parameters"),
    ],
)
def test_impossible_designs_are_refused_with_what_to_do(method, samples, ranges, match):
    with pytest.raises(UsageError, match=match):
        sensitivity(small(), ranges, "revenue", method, samples=samples, replications=2)


def test_a_sobol_base_sample_that_is_not_a_power_of_2_runs_with_a_note():
    from sim.experiments.sensitivity import sobol_note

    assert "try 8" in sobol_note("sobol", 6) and sobol_note("sobol", 8) is None and sobol_note("morris", 6) is None
    res = sensitivity(small(), RANGES, "revenue", "sobol", samples=6, replications=2, n_jobs=1)
    assert {"S1", "S1_conf", "ST", "ST_conf"} <= set(res.indices.columns)


def test_the_command_writes_indices_runs_and_figure(tmp_path):
    scenario = tmp_path / "s.toml"
    scenario.write_text(
        '[population]\ncustomers = 300\n[sensitivity]\nmethod = "morris"\nsamples = 3\nkpi = "revenue"\n'
        '[sensitivity.parameters]\n"segments[0].wallet_median" = [500.0, 2000.0]\n'
        '"portfolio_policy.price_rise" = [0.0, 0.3]\n'
    )
    out = tmp_path / "out"
    done = CliRunner().invoke(app, ["sensitivity", str(scenario), "-r", "2", "-j", "1", "-o", str(out), "-q"])
    assert done.exit_code == 0, done.output
    table = pd.read_csv(out / "sensitivity.csv")
    assert set(table.parameter) == set(RANGES) and {"mu_star", "mu_star_conf", "sigma"} <= set(table.columns)
    runs = pd.read_csv(out / "experiments.csv")
    assert len(runs) == 3 * 3 * 2 and np.isfinite(runs["revenue"]).all()
    assert (out / "sensitivity.png").is_file() and (out / "sensitivity.svg").is_file()


def test_a_variants_paired_gap_is_decomposed_and_an_unknown_variant_refused():
    # The variant fixes the wallet median at 1,000, so its revenue gap from the baseline at a point is
    # R * (1000 - w): linear in the point's wallet median w, and untouched by the inert parameter.
    sc = small(compare={"variants": {"fixed_wallet": {WALLET: 1000.0}}})
    res = sensitivity(sc, RANGES, "revenue", "morris", samples=4, replications=2, n_jobs=1, variant="fixed_wallet")
    ind = res.indices.set_index("parameter")
    assert ind.loc[INERT, "mu_star"] == 0.0
    assert ind.loc[WALLET, "mu_star"] > 0 and ind.loc[WALLET, "mu"] < 0  # a larger wallet narrows the gap
    assert set(res.experiments["variant"]) == {"scenario", "fixed_wallet"}
    with pytest.raises(UsageError, match="not a \\[compare\\] variant"):
        sensitivity(sc, RANGES, "revenue", "morris", samples=4, replications=2, variant="nope")
