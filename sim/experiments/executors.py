"""Where experiments run: serially, on local cores with joblib, or on a Dask cluster, with one call.

Dask rather than Ray: it installs as pure-Python wheels, starts a local
cluster in a second for tests, and its scheduler runs anywhere Python does.
Every job carries its own seed, so where it runs never changes its result.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from joblib import Parallel, delayed

from sim.scenario import ScenarioError


def default_jobs() -> int:
    """Local cores to use by default."""
    return max(1, os.cpu_count() or 1)


def map_jobs(
    fn: Callable,
    jobs: list[tuple],
    n_jobs: int | None,
    progress: Callable[[int], None] | None,
    cluster: str | None = None,
) -> list:
    """Apply `fn` to every job tuple: serially, on local cores (joblib), or on a Dask cluster; results in job order.

    Every job carries its own seed, so where it runs never changes its result.
    """
    if cluster:
        return _map_dask(fn, jobs, progress, cluster)
    n_jobs = default_jobs() if n_jobs is None else n_jobs
    if n_jobs == 1 or len(jobs) <= 1:
        out = []
        for job in jobs:
            out.append(fn(*job))
            if progress:
                progress(1)
        return out
    indexed = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
        delayed(_indexed)(fn, k, job) for k, job in enumerate(jobs)
    )
    out: list = [None] * len(jobs)
    for k, res in indexed:
        out[k] = res
        if progress:
            progress(1)
    return out


def _indexed(fn: Callable, k: int, job: tuple) -> tuple[int, Any]:
    return k, fn(*job)


def _map_dask(fn: Callable, jobs: list[tuple], progress: Callable[[int], None] | None, address: str) -> list:
    """Run the jobs on the Dask cluster at `address` (e.g. tcp://10.0.0.5:8786)."""
    try:
        from dask.distributed import Client, as_completed
    except ImportError:
        raise ScenarioError("--cluster needs Dask: pip install 'crmsim[distributed]'") from None
    try:
        client = Client(address, timeout="10s")
    except OSError as exc:
        raise ScenarioError(f"--cluster {address}: cannot reach a Dask scheduler there ({exc})") from None
    with client:
        futures = [client.submit(_indexed, fn, k, job, pure=False) for k, job in enumerate(jobs)]
        out: list = [None] * len(jobs)
        for _, (k, res) in as_completed(futures, with_results=True):
            out[k] = res
            if progress:
                progress(1)
        return out
