"""Every workflow's declared step count (the progress bar's length) is the number of steps it reports."""

from __future__ import annotations

import math

import pytest

from sim.experiments import compare, compare_steps, sensitivity, sensitivity_steps, sweep, sweep_steps
from sim.experiments.discovery import discover, discover_steps
from sim.viz.report import make_report, report_steps
from sim.workflows.portfolio import portfolio_loop, portfolio_steps
from tests.conftest import small

VARIANTS = {"fitd": {"strategy.account_growth": "foot_in_the_door"}, "aao": {"strategy.account_growth": "all_at_once"}}
RANGES = {"ladder.up_rate": [0.1, 0.2], "dissolution.base_hazard": [0.005, 0.02]}


def counted(work) -> int:
    """Steps `work(progress)` reports."""
    seen = []
    work(lambda k: seen.append(k))
    return sum(seen)


@pytest.fixture
def sc():
    return small(
        horizon_months=6,
        replications=2,
        population={"customers": 60, "referral_pool": 0.0},
        compare={"variants": VARIANTS},
        sweep={"parameters": {"ladder.up_rate": [0.1, 0.2]}},
    )


def test_compare_and_sweep_count_their_runs(sc):
    assert counted(lambda tick: compare(sc, n_jobs=1, progress=tick)) == compare_steps(sc) == 4
    assert counted(lambda tick: sweep(sc, n_jobs=1, progress=tick)) == math.prod(sweep_steps(sc)) == 8


def test_designs_count_their_runs(sc):
    runs = sensitivity_steps(sc, RANGES, "morris", 2, variant="fitd")[1]
    assert (
        counted(lambda t: sensitivity(sc, RANGES, "profit", "morris", 2, n_jobs=1, progress=t, variant="fitd")) == runs
    )
    assert counted(lambda t: discover(sc, RANGES, "profit", "fitd", 4, n_jobs=1, progress=t)) == discover_steps(sc, 4)


def test_portfolio_and_report_count_their_runs(sc):
    assert counted(lambda t: portfolio_loop(sc, "customer", 0.5, None, 5, None, None, 1, t)) == portfolio_steps(sc)
    assert counted(lambda t: make_report(sc, "", "x.toml", n_jobs=1, progress=t)) == report_steps(sc) == 6
