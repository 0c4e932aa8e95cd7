"""The benchmark suite: one command, one table.

    python bench/run.py [--quick] [--out runs/bench.csv]

Measures in one process, side by side:
- engine throughput (customer-months per second) at 1,000, 10,000 and
  100,000 customers, against a bare one-process-per-customer SimPy model with
  one event per customer-month and a minimal vectorised numpy step;
- peak memory per customer of one replication (tracemalloc: numpy's arrays
  included), with the customer-month table and with aggregates only, and a
  full 100,000-customer, 60-month run;
- replications per second, serial and on all local cores;
- portfolio solve times at 100 to 100,000 customers (10-factor risk) and
  50-point frontiers up to 10,000 (bench/portfolio.py has dense risk too).
Ratios are against baselines run in the same process, so they travel between
machines better than the absolute figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
from portfolio import scenarios as portfolio_scenarios
from portfolio import solve_times
from throughput import bare_simpy_rate, engine_rate, numpy_rate

from optimize.estimate import estimate
from optimize.portfolio import Constraints
from sim.engine.simulate import simulate
from sim.experiments import kpis, map_jobs
from sim.scenario import Scenario


def peak_memory(customers: int, months: int, record: str) -> float:
    """Peak bytes allocated while simulating one replication."""
    sc = Scenario(horizon_months=months, record=record, population={"customers": customers})
    tracemalloc.start()
    simulate(sc)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return float(peak)


def dask_rate(jobs: list[tuple], serial: list, repeat: int) -> tuple[float, float] | None:
    """Replications per second on a local Dask cluster (one single-threaded worker process per core), and its start.

    The same jobs as the local runs, sent through ``--cluster``'s path (`map_jobs` with an address); their KPI rows
    must equal the serial ones.  None when Dask is not installed (``pip install 'crmsim[distributed]'``).
    """
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        return None
    t = time.perf_counter()
    cluster = LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, dashboard_address=None)
    with cluster, Client(cluster) as client:
        client.run(kpis, *jobs[0])  # every worker imports the engine and loads the compiled kernel
        startup = time.perf_counter() - t
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            rows = map_jobs(kpis, jobs, None, None, cluster.scheduler_address)
            times.append(time.perf_counter() - t)
        assert rows == serial, "Dask results differ from serial ones"
    return len(jobs) / min(times), startup


def replication_rates(reps: int, customers: int, months: int, repeat: int) -> tuple:
    """Replications per second serially and on all local cores once the workers are up, the start-up time, and
    the Dask cluster's rate and start-up (:func:`dask_rate`).

    Comparison-style jobs (KPI rows come back).  The first parallel call in a
    process also starts the worker processes, which import numpy, scipy and
    SimPy: that one-off cost is reported on its own.  Serial and parallel
    runs are each timed `repeat` times and the fastest counts.
    """
    sc = Scenario(horizon_months=months, population={"customers": customers})
    jobs = [(sc, r, sc.seed) for r in range(reps)]

    def fastest(n_jobs: int | None) -> tuple[float, list]:
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            rows = map_jobs(kpis, jobs, n_jobs, None)
            times.append(time.perf_counter() - t)
        return min(times), rows

    ts, serial = fastest(1)
    warm = jobs[:1] * (os.cpu_count() or 1)
    t = time.perf_counter()
    map_jobs(kpis, warm, None, None)
    startup = time.perf_counter() - t - ts / reps
    tp, parallel = fastest(None)
    assert serial == parallel, "parallel results differ from serial ones"
    return reps / ts, reps / tp, startup, dask_rate(jobs, serial, repeat)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller sizes (a minute instead of several)")
    ap.add_argument("--out", default="runs/bench.csv", help="where to write the table")
    ap.add_argument(
        "--repeat", type=int, default=3, help="time each throughput model this many times and keep the fastest"
    )
    args = ap.parse_args()
    sizes = [1000, 10_000] if args.quick else [1000, 10_000, 100_000]
    months = 24 if args.quick else 60
    rows = []

    def add(group: str, item: str, value: float, unit: str, baseline: float | None = None) -> None:
        rows.append(
            {
                "group": group,
                "item": item,
                "value": value,
                "unit": unit,
                "ratio_to_baseline": value / baseline if baseline else np.nan,
            }
        )
        print(
            f"{group:12s} {item:58s} {value:14,.3f} {unit}"
            + (f"   ({value / baseline:.2f}x baseline)" if baseline else ""),
            flush=True,
        )

    rep = args.repeat
    for n in sizes:
        bare = bare_simpy_rate(n, months, rep)
        add("throughput", f"bare SimPy, 1 process/customer, {n:,} customers (baseline)", bare, "customer-months/s")
        add(
            "throughput",
            f"engine, customer table, {n:,} customers",
            engine_rate(n, months, "customers", rep),
            "customer-months/s",
            bare,
        )
        add(
            "throughput",
            f"engine, aggregates only, {n:,} customers",
            engine_rate(n, months, "aggregates", rep),
            "customer-months/s",
            bare,
        )
        add("throughput", f"numpy monthly step, {n:,} customers", numpy_rate(n, months, rep), "customer-months/s", bare)
    for n in sizes[-2:]:
        for record in ("customers", "aggregates"):
            add(
                "memory",
                f"peak per customer, {record}, {n:,} customers, {months} months",
                peak_memory(n, months, record) / n,
                "bytes",
            )
    if not args.quick:
        add(
            "memory",
            "peak, customer table, 100,000 customers, 60 months",
            peak_memory(100_000, 60, "customers") / 2**30,
            "GiB",
        )
    cores = os.cpu_count() or 1
    serial, parallel, startup, dask = replication_rates(4 if args.quick else 32, 2000, months, rep)
    add("parallel", "replications/s serial (2,000 customers) (baseline)", serial, "replications/s")
    add(
        "parallel",
        f"replications/s on {cores} cores, workers up, identical results",
        parallel,
        "replications/s",
        serial,
    )
    add("parallel", "one-off start-up of the worker processes", startup, "s")
    if dask is not None:
        rate, dask_startup = dask
        add("parallel", f"replications/s on a local Dask cluster, {cores} workers, identical results", rate,
            "replications/s", serial)  # fmt: skip
        add("parallel", "one-off start-up of the Dask cluster and its workers", dask_startup, "s")
    for n in [100, 1000] if args.quick else [100, 1000, 10_000, 100_000]:
        x = portfolio_scenarios(n, 200)
        t = time.perf_counter()
        est = estimate(x, method="factor")
        add("portfolio", f"10-factor risk estimate, {n:,} customers, 200 scenarios", time.perf_counter() - t, "s")
        # A 50-point frontier over 100,000 customers takes minutes; the solve times say it.
        times = solve_times(est, Constraints(capacity=1.0, upper=10.0 / n), 50, frontier=n <= 10_000)
        add("portfolio", f"first solve, 10-factor risk, {n:,} customers", times["first_solve_s"], "s")
        add("portfolio", f"next solve, new risk aversion, {n:,} customers", times["next_solve_s"], "s")
        if "frontier_s" in times:
            rebuild = times["frontier_rebuilding_s"]
            add("portfolio", f"50-point frontier, rebuilding each time, {n:,} customers (baseline)", rebuild, "s")
            add("portfolio", f"50-point frontier, one DPP problem, {n:,} customers", times["frontier_s"], "s", rebuild)
    table = pd.DataFrame(rows)
    table["machine"] = f"{platform.machine()}, {cores} cores, Python {platform.python_version()}"
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
