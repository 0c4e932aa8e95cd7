"""Fuzzing in CI: mutated scenario files, every numeric field at its extremes, hostile transaction logs and
hostile command-line options.  Each is refused with one clean error or gives finite money; never a traceback.

The larger runs behind README's figures: ``python -m tests.fuzz N``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from sim.scenario import Scenario
from tests.fuzz import extremes, fuzz, fuzz_logs, fuzz_options

CAL_END = "1997-09-30"


def _failures(counts) -> dict:
    return {k: v for k, v in counts.items() if k.startswith("failed")}


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    """The first 300 customers of the real CDNOW sample (shipped in the test-only lifetimes wheel)."""
    datasets = pytest.importorskip("lifetimes.datasets")
    raw = pd.read_csv(
        Path(datasets.__file__).with_name("CDNOW_sample.txt"),
        sep=r"\s+",
        header=None,
        names=["orig", "customer_id", "date", "cds", "amount"],
        dtype=str,
    )
    raw = raw[raw.customer_id.astype(int) <= 300].drop(columns=["orig", "cds"])
    raw["date"] = pd.to_datetime(raw["date"], format="%Y%m%d").dt.strftime("%Y-%m-%d")
    return raw.reset_index(drop=True)


@pytest.mark.slow
def test_mutated_scenarios_never_crash(tmp_path):
    counts = fuzz(300, seed=11, workdir=tmp_path)
    assert not _failures(counts), counts
    assert counts["refused"] > 100 and counts["ran"] > 10  # the mutations do reach both outcomes


@pytest.mark.slow
def test_every_numeric_field_at_its_extremes_gives_finite_money_or_a_clean_error():
    counts = extremes(Scenario())
    assert not _failures(counts), _failures(counts)
    assert counts["ran"] > 300


@pytest.mark.slow
def test_hostile_transaction_logs_are_refused_or_fitted(cdnow, tmp_path):
    counts = fuzz_logs(cdnow, 80, seed=5, workdir=tmp_path, end=CAL_END)
    assert not _failures(counts), _failures(counts)
    assert counts["refused"] > 20 and counts["fitted"] > 5


@pytest.mark.slow
def test_hostile_command_line_options_are_one_clean_line(cdnow, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # whatever --out a mutation gives lands here
    cdnow.to_csv("log.csv", index=False)
    Path("tiny.toml").write_text(
        'name = "tiny"\nhorizon_months = 6\nreplications = 2\n[population]\ncustomers = 100\n'
        '[[segments]]\nname = "a"\nshare = 0.5\n[[segments]]\nname = "b"\nshare = 0.5\n'
    )
    done = ["-q", "--force"]
    commands = {
        "calibrate": ["calibrate", "log.csv", "--calibration-end", CAL_END, "--out", "cal.toml", "-r", "2", *done],
        "run": ["run", "tiny.toml", "--out", "o-run", *done],
        "sweep": [
            "sweep",
            "tiny.toml",
            "-p",
            "firm.gross_margin=0.3,0.4",
            "-r",
            "2",
            "-j",
            "1",
            "--out",
            "o-sw",
            *done,
        ],
        "compare": ["compare", "tiny.toml", "-v", "c:strategy.posture=collaborative", "-r", "2", "-j", "1", *done],
        "portfolio": ["optimize", "portfolio", "tiny.toml", "-r", "2", "--out", "o-pf", *done],
    }
    options = {
        "calibrate": ["--calibration-end", "--holdout-end", "--date-format", "--gross-margin", "--replications"]
        + ["--seed", "--customer", "--date", "--amount", "--segment", "--out", "--model"],
        "run": ["-r", "-s", "--format", "--jobs", "--start-date", "--out"],
        "sweep": ["--kpi", "--samples", "--method", "-p", "-r", "-s"],
        "compare": ["-v", "-b", "-r", "-s", "--out"],
        "portfolio": ["--capacity", "--risk-aversion", "--level", "-r", "-s"],
    }
    counts = fuzz_options(commands, options, 100, seed=9)
    assert not _failures(counts), _failures(counts)
    assert counts["refused"] > 50
