"""The compiled month: its one-time compile cost, and a million customers over ten years on one core.

    python bench/kernel.py [--customers 1000000] [--months 120]

Prints three things, each measured in a fresh process so that nothing cached
in this one counts:
- the one-time compile: a small run with an empty numba cache, then the same
  run again (the cache on disk warm); the difference is what the first run
  after an install pays once;
- the big run: `--customers` customers for `--months` months in aggregates
  mode, one replication, one process: wall time, customer-months per second
  and peak memory (the process's maximum resident set);
- with ``--table N``: N customers for `--months` months with the customer-month
  table, kept in memory and streamed to Parquet (``crmsim run --customer-table
  --format parquet``), each in a fresh process: wall time and peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

SMALL = """
import time
t = time.perf_counter()
from sim.engine.simulate import simulate
from sim.scenario import Scenario
simulate(Scenario(horizon_months=12, replications=1, population={"customers": 500}))
print(time.perf_counter() - t)
"""

BIG = """
import json, resource, time
from sim.engine.simulate import simulate
from sim.scenario import Scenario
sc = Scenario(horizon_months={months}, replications=1, record="aggregates", population={{"customers": {customers}}})
simulate(sc.with_overrides(population={{"customers": 1000}}))  # loads the compiled code
t = time.perf_counter()
rep = simulate(sc)
wall = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # kB -> GiB
print(json.dumps({{"wall_s": wall, "peak_gib": peak, "customers_at_end": int(rep.customers.n)}}))
"""


TABLE = """
import json, resource, sys, tempfile, time
from pathlib import Path
from sim.experiments import run
from sim.scenario import Scenario
sc = Scenario(horizon_months={months}, replications=1, record="customers", population={{"customers": {customers}}})
run(sc.with_overrides(population={{"customers": 1000}}))  # loads the compiled code
with tempfile.TemporaryDirectory() as d:
    t = time.perf_counter()
    res = run(sc, customer_parts=Path(d) / "customers.parquet" if {streamed} else None)
    wall = time.perf_counter() - t
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
print(json.dumps({{"wall_s": wall, "peak_gib": peak}}))
"""


def python(code: str, env: dict[str, str]) -> str:
    """Run `code` in a fresh interpreter (the project on its path) and return what it printed."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run([sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True).stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--months", type=int, default=120)
    ap.add_argument("--table", type=int, default=0, help="also time the customer-month table for this many customers")
    ap.add_argument("--no-compile", action="store_true", help="skip the one-time compile (about 40 s)")
    args = ap.parse_args()
    if not args.no_compile:
        with tempfile.TemporaryDirectory() as cache:
            cold = float(python(SMALL, {"NUMBA_CACHE_DIR": cache}))
            warm = float(python(SMALL, {"NUMBA_CACHE_DIR": cache}))
        print(f"small run, empty compile cache: {cold:.1f} s; cache warm: {warm:.1f} s")
        print(f"one-time compile: about {cold - warm:.1f} s")
    big = json.loads(python(BIG.format(customers=args.customers, months=args.months), {}))
    rate = args.customers * args.months / big["wall_s"]
    print(
        f"{args.customers:,} customers x {args.months} months, aggregates, one process: {big['wall_s']:.1f} s "
        f"({rate / 1e6:.2f} M customer-months/s), peak memory {big['peak_gib']:.2f} GiB"
    )
    if args.table:
        for streamed in (False, True):
            code = TABLE.format(customers=args.table, months=args.months, streamed=streamed)
            got = json.loads(python(code, {}))
            how = "streamed to Parquet" if streamed else "kept in memory"
            print(
                f"{args.table:,} customers x {args.months} months with the customer table {how}: "
                f"{got['wall_s']:.1f} s, peak memory {got['peak_gib']:.2f} GiB"
            )


if __name__ == "__main__":
    main()
