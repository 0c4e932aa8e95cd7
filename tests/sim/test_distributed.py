"""The experiment API on a Dask cluster gives the same tables as a local run (a local cluster started here)."""

from __future__ import annotations

import pandas as pd
import pytest

from sim.experiments import compare, run, sweep
from sim.scenario import ScenarioError
from tests.conftest import small

distributed = pytest.importorskip("dask.distributed", reason="pip install 'crmsim[distributed]'")

GROWTH = {"fitd": {"strategy.account_growth": "foot_in_the_door"}, "aao": {"strategy.account_growth": "all_at_once"}}


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as lc:
        yield lc.scheduler_address


@pytest.mark.slow
def test_compare_and_sweep_on_dask_match_local_runs(cluster):
    sc = small(replications=3, horizon_months=12, population={"customers": 200})
    pd.testing.assert_frame_equal(compare(sc, GROWTH, cluster=cluster), compare(sc, GROWTH, n_jobs=1))
    params = {"segments[*].wallet_median": [500.0, 4000.0]}
    pd.testing.assert_frame_equal(
        sweep(sc, params, variants=GROWTH, cluster=cluster), sweep(sc, params, variants=GROWTH, n_jobs=1)
    )


@pytest.mark.slow
def test_run_on_dask_matches_local(cluster):
    sc = small(replications=2, horizon_months=6, population={"customers": 100})
    pd.testing.assert_frame_equal(run(sc, cluster=cluster).customers, run(sc).customers)


def test_unreachable_cluster_is_a_clear_error():
    with pytest.raises(ScenarioError, match="cannot reach a Dask scheduler"):
        compare(small(replications=2), GROWTH, cluster="tcp://127.0.0.1:1")
