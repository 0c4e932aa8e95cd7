"""The benchmark scripts run and print their tables (tiny sizes; no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def run(script: str, *args: str, cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args], capture_output=True, text=True, cwd=cwd, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_throughput_table(tmp_path):
    out = tmp_path / "throughput.csv"
    run("throughput.py", "--customers", "300", "--months", "3", "--repeat", "1", "--out", str(out), cwd=tmp_path)
    table = pd.read_csv(out)
    assert list(table["customers"]) == [300]
    assert (table[["engine_panel", "engine_aggregates", "bare_simpy", "numpy_step"]] > 0).all(axis=None)


def test_kernel_bench_reports_the_big_run(tmp_path):
    # Without the one-time compile: it compiles the whole kernel again in an empty cache, 40-60 s of the suite's
    # time for what the first test to run a simulation pays anyway.
    text = run("kernel.py", "--customers", "2000", "--months", "3", "--no-compile", cwd=tmp_path)
    assert "one-time compile" not in text and "peak memory" in text and "customer-months/s" in text


def test_portfolio_table(tmp_path):
    text = run("portfolio.py", "--assets", "40", "--scenarios", "30", "--points", "3", cwd=tmp_path)
    assert "frontier_s" in text and "speedup_from_dpp" in text


def test_screen_finds_the_numeric_parameters_and_ranks_them():
    sys.path.insert(0, str(BENCH))
    import screen

    from sim import Scenario

    paths = screen.numeric_paths(Scenario().model_dump())
    assert "firm.gross_margin" in paths and "ladder.thresholds" in paths and "segments[*].wallet_median" in paths
    assert not any(p.startswith(("population", "compare", "seed")) for p in paths)
    base = Scenario(horizon_months=6, record="aggregates", population={"customers": 80})
    table = screen.screen(base, reps=2, only=["firm.gross_margin", "purchasing.basket_cv"])
    assert table.parameter.iloc[0] == "firm.gross_margin"  # the margin moves profit more than basket noise


def test_loops_table(tmp_path):
    out = tmp_path / "loops.csv"
    run("loops.py", "--reps", "2", "--customers", "150", "--months", "12", "--out", str(out), cwd=tmp_path)
    table = pd.read_csv(out)
    assert len(table) == 2 and (table[["seconds", "plain_run_seconds"]] > 0).all(axis=None)


@pytest.mark.browser
def test_dashboard_bench_times_a_strategists_waits(tmp_path):
    text = run("dashboard.py", "--repeat", "1", cwd=tmp_path)
    assert all(key in text for key in ("start", "first KPIs", "new run", "cached"))


def test_cdnow_agent_bench_reports_both_arms_against_the_targets(tmp_path):
    pytest.importorskip("lifetimes")
    out = tmp_path / "cdnow.csv"
    args = ["--seeds", "1", "--jobs", "1", "--particles", "20", "--generations", "1", "--replications", "2"]
    text = run("cdnow_agent.py", *args, "--heterogeneity", "both", "--out", str(out), cwd=tmp_path)
    assert text.count("holdout error agent") == 2 and "heterogeneity none" in text
    table = pd.read_csv(out)
    assert list(table.heterogeneity) == [True, False] and (table["error_BG/NBD"] > 0).all()
