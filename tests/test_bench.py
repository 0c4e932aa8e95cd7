"""The benchmark scripts run and print their tables (tiny sizes; no timing is asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd

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


def test_portfolio_table(tmp_path):
    text = run("portfolio.py", "--assets", "40", "--scenarios", "30", "--points", "3", cwd=tmp_path)
    assert "frontier_s" in text and "speedup_from_dpp" in text
