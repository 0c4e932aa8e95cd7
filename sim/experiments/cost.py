"""What a run will cost before it starts: memory from the engine's arrays, time from its measured speed.

A run that would not fit in memory stops before it starts, with a message that
says how to make it fit; a long run says how long.  The figures are estimates
from the sizes of the arrays the engine allocates (measured on 2026-11-27:
1,000,000 customers x 120 months in aggregates mode peaked at 0.53 GiB, the
interpreter included; 100,000 customers x 60 months with the customer table
at 0.30 GiB) and from the throughput in README (4 to 11 million
customer-months a second on one core, the customer table's runs slowest).
"""

from __future__ import annotations

import os
from pathlib import Path

from sim.engine.state import RECORD
from sim.errors import UsageError
from sim.scenario import Scenario

CUSTOMER_MONTHS_PER_SECOND = 4e6  # one core, full agent model, the slow end of README's Performance figures
WORKING_FACTOR = 1.5  # the population's uniforms and the month's lists of customers, over the records themselves
PANEL_BYTES = 28  # recorded per place and month: stage, rung, purchases, five float32 columns
TABLE_BYTES = 90  # per row of the customer-month DataFrame (11 columns with the categoricals)


def memory_needed(scenario: Scenario, replications: int, parallel: int = 1) -> int:
    """Bytes a run of `replications` needs at its peak (`parallel` replications at once)."""
    places = scenario.population.customers * (1.0 + scenario.population.referral_pool)
    engine = places * RECORD.itemsize * WORKING_FACTOR  # every place, as if referrals took the whole pool
    if scenario.record == "aggregates":
        return int(engine * parallel)
    per_replication = places * scenario.horizon_months * (PANEL_BYTES + TABLE_BYTES)
    return int(engine * parallel + per_replication * replications)  # every replication's table is kept


def memory_available() -> int:
    """Bytes of memory available now (MemAvailable on Linux; physical memory elsewhere)."""
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def seconds_needed(scenario: Scenario, replications: int, parallel: int = 1) -> float:
    """Rough wall time of `replications` replications on `parallel` cores."""
    customers = scenario.population.customers + sum(scenario.population.cohorts)
    return customers * scenario.horizon_months * replications / (CUSTOMER_MONTHS_PER_SECOND * max(parallel, 1))


def check_fits(scenario: Scenario, replications: int, parallel: int = 1) -> None:
    """Raise UsageError, before anything runs, if the run would not fit in memory; say how to make it fit."""
    need, have = memory_needed(scenario, replications, parallel), memory_available()
    if need <= 0.8 * have:
        return
    gib = 2**30
    hint = ""
    if scenario.record == "customers":
        totals_only = memory_needed(scenario.with_overrides(record="aggregates"), replications, parallel)
        hint = (
            f'set record = "aggregates" (totals only: about {totals_only / gib:.1f} GiB), stream the customer '
            "table to disk (crmsim run --customer-table --format parquet), "
        )
    raise UsageError(
        f"{scenario.name}: {scenario.population.customers:,} customers x {scenario.horizon_months} months x "
        f"{replications} replications needs about {need / gib:.1f} GiB but {have / gib:.1f} GiB is available; "
        f"{hint}or run fewer customers, months or replications"
    )
