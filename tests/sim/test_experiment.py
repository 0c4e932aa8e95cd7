"""Comparisons and sweeps: common random numbers, pairing, parallel determinism, overrides."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

from sim.app.cli import app
from sim.experiments import compare, paired_differences, sweep, sweep_points
from sim.scenario import ScenarioError, apply, load_scenario, parse_assignment
from tests.conftest import small

ROOT = Path(__file__).resolve().parents[2]
GROWTH = {"fitd": {"strategy.account_growth": "foot_in_the_door"}, "aao": {"strategy.account_growth": "all_at_once"}}


@pytest.mark.slow
def test_common_random_numbers_reduce_the_variance_of_paired_differences():
    reps = 30
    sc = small(replications=reps, horizon_months=24, population={"customers": 300})
    crn = paired_differences(compare(sc, GROWTH), "fitd", kpis=["profit"])
    ind = paired_differences(compare(sc, GROWTH, independent=True), "fitd", kpis=["profit"])
    ratio = (ind.sd.iloc[0] / crn.sd.iloc[0]) ** 2
    # Under equal variances the ratio follows F(reps-1, reps-1); demand it beyond the 99th percentile.
    assert ratio > stats.f.ppf(0.99, reps - 1, reps - 1), f"variance ratio independent / CRN = {ratio:.2f}"


def test_compare_serial_and_parallel_identical():
    sc = small(replications=3)
    pd.testing.assert_frame_equal(compare(sc, GROWTH, n_jobs=1), compare(sc, GROWTH, n_jobs=2))


def test_sweep_serial_and_parallel_identical_and_tidy():
    sc = small(replications=2, horizon_months=12, population={"customers": 150})
    params = {"segments[*].wallet_median": [500.0, 2000.0]}
    a = sweep(sc, params, variants=GROWTH, n_jobs=1)
    pd.testing.assert_frame_equal(a, sweep(sc, params, variants=GROWTH, n_jobs=2))
    assert len(a) == 2 * 2 * 2
    assert {"scenario", "point", "segments[*].wallet_median", "variant", "replication", "seed", "profit"} <= set(
        a.columns
    )


def test_paired_differences_match_a_hand_computation():
    t = pd.DataFrame(
        {"variant": ["a"] * 3 + ["b"] * 3, "replication": [0, 1, 2] * 2, "profit": [1.0, 2.0, 3.0, 2.0, 4.0, 3.5]}
    )
    d = paired_differences(t, "a", kpis=["profit"]).iloc[0]
    diff = np.array([1.0, 2.0, 0.5])
    half = stats.t.ppf(0.975, 2) * diff.std(ddof=1) / np.sqrt(3)
    assert d.difference == pytest.approx(diff.mean())
    assert d.ci_low == pytest.approx(diff.mean() - half) and d.ci_high == pytest.approx(diff.mean() + half)


def test_overrides_set_nested_fields_and_every_segment():
    sc = small(segments=[{"name": "a", "share": 0.5}, {"name": "b", "share": 0.5}])
    out = apply(sc, {"segments[*].need_uncertainty.mean": 0.7, "strategy.posture": "collaborative"})
    assert [s.need_uncertainty.mean for s in out.segments] == [0.7, 0.7] and out.strategy.posture == "collaborative"


@pytest.mark.parametrize(
    "changes,match",
    [
        ({"strategy.acount_growth": "x"}, "no field 'acount_growth' here; fields are: account_growth"),
        ({"segments[3].share": 1.0}, "index 3 is out of range"),
        ({"firm.gross_margin": 3}, "firm.gross_margin = 3"),
        ({"strategy.posture[0]": 1}, "not a list"),
    ],
)
def test_bad_overrides_are_clear(changes, match):
    with pytest.raises(ScenarioError, match=match):
        apply(small(), changes)


def test_parse_assignment_reads_numbers_and_words():
    assert parse_assignment("a.b=1,2.5,3e3") == ("a.b", [1, 2.5, 3000.0])
    assert parse_assignment("strategy.posture=transactional, collaborative") == (
        "strategy.posture",
        ["transactional", "collaborative"],
    )
    with pytest.raises(ScenarioError, match="PATH=VALUES"):
        parse_assignment("nonsense")


def test_latin_hypercube_covers_each_range_once_per_stratum():
    pts = sweep_points({"x": [0.0, 1.0], "n": [1, 100]}, "lhs", samples=10, seed=1)
    strata = np.floor(pts["x"] * 10).astype(int)
    assert sorted(strata) == list(range(10))
    assert pts["n"].dtype.kind == "i" and pts["n"].between(1, 100).all()
    with pytest.raises(ScenarioError, match="low < high"):
        sweep_points({"x": [1.0, 0.0]}, "lhs")


def test_bad_variant_paths_fail_when_the_file_is_loaded(tmp_path):
    f = tmp_path / "v.toml"
    f.write_text('[compare.variants.x]\n"strategy.acount_growth" = "all_at_once"\n')
    with pytest.raises(ScenarioError, match="compare.variants.x: .*no field 'acount_growth'"):
        load_scenario(f)
    f.write_text('[sweep.parameters]\n"segments[*].walet_median" = [1.0, 2.0]\n')
    with pytest.raises(ScenarioError, match="sweep.parameters.*no field 'walet_median'"):
        load_scenario(f)


def test_compare_without_variants_says_how_to_add_them():
    with pytest.raises(ScenarioError, match=r"\[compare.variants.NAME\]"):
        compare(small())


def test_compare_and_sweep_commands(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text(
        "horizon_months = 12\nreplications = 3\n[population]\ncustomers = 150\n"
        '[compare.variants.fitd]\n"strategy.account_growth" = "foot_in_the_door"\n'
        '[compare.variants.aao]\n"strategy.account_growth" = "all_at_once"\n'
    )
    runner = CliRunner()
    res = runner.invoke(app, ["compare", str(f), "--out", str(tmp_path / "c"), "--jobs", "1"])
    assert res.exit_code == 0, res.output
    diff = pd.read_csv(tmp_path / "c" / "differences.csv")
    assert {"variant", "kpi", "difference", "ci_low", "ci_high", "verdict"} <= set(diff.columns)
    assert (tmp_path / "c" / "comparison.png").is_file()
    res = runner.invoke(
        app, ["sweep", str(f), "-p", "segments[*].wallet_median=500,4000", "--out", str(tmp_path / "w"), "--jobs", "1"]
    )
    assert res.exit_code == 0, res.output
    summary = pd.read_csv(tmp_path / "w" / "summary.csv")
    assert len(summary) == 2 and "winner" in summary and (tmp_path / "w" / "sweep.png").is_file()
    res = runner.invoke(app, ["compare", str(f), "-v", "bad:strategy.nope=1", "--out", str(tmp_path / "x")])
    assert res.exit_code == 2 and "no field 'nope'" in res.output


SHIPPED = sorted((ROOT / "scenarios").glob("*.toml"))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.name for p in SHIPPED])
def test_every_shipped_scenario_runs(path):
    from sim.experiments import run

    sc = load_scenario(path)
    tiny = apply(sc, {"horizon_months": 6, "replications": 2, "population.customers": 100})
    res = run(tiny)
    assert len(res.replications) == 2 and res.replications["customers"].min() >= 100
    if sc.compare.variants:
        assert set(compare(tiny, n_jobs=1)["variant"]) == set(sc.compare.variants)


def test_a_mode_that_ignores_a_lever_refuses_to_compare_it():
    bgnbd = small(behaviour="bgnbd", segments=[{"buy_till_you_die": {}}])
    with pytest.raises(ScenarioError, match=r'behaviour = "bgnbd" never reads strategy.account_growth'):
        compare(bgnbd, {"fitd": {}, "aao": {"strategy.account_growth": "all_at_once"}}, replications=2)
    with pytest.raises(ScenarioError, match=r"never reads postures.transactional.closeness"):
        sweep(bgnbd, {"postures.transactional.closeness": [0.1, 0.4]}, replications=2)
    markov = small(behaviour="markov", markov={"transitions": np.eye(8).tolist()})
    with pytest.raises(ScenarioError, match=r"never reads segments\[0\].wallet_median"):
        compare(markov, {"a": {}, "b": {"segments[0].wallet_median": 5000.0}}, replications=2)
    compare(markov, {"a": {}, "b": {"migration.spend": [0, 5, 5, 0, 0, 0, 0, 0]}}, replications=2)  # markov reads it


def test_knockout_shares_by_hand():
    from sim.experiments import knockout_shares

    rows = []
    for r, (full, rival, without) in enumerate([(10.0, 0.0, 5.0), (12.0, 2.0, 7.5), (14.0, 4.0, 8.5)]):
        rows += [
            {"variant": v, "replication": r, "profit": x}
            for v, x in (("full", full), ("rival", rival), ("ko", without))
        ]
    k = knockout_shares(pd.DataFrame(rows), "full", "rival", {"mechanism": "ko"}, kpi="profit").iloc[0]
    assert k.gap == 10.0 and k.contribution == pytest.approx(5.0)  # (5 + 4.5 + 5.5) / 3
    assert k.share_of_gap == pytest.approx(0.5)
    assert k.contribution_low < 5.0 < k.contribution_high and k.share_low <= 0.5 <= k.share_high


def test_knockouts_must_name_variants_and_a_rival():
    with pytest.raises(ScenarioError, match="not variants"):
        small(compare={"variants": {"a": {}}, "rival": "a", "knockouts": {"m": "missing"}})
    with pytest.raises(ScenarioError, match="also set compare.rival"):
        small(compare={"variants": {"a": {}, "b": {}}, "knockouts": {"m": "b"}})
