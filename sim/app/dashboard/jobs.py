"""What the dashboard's worker computes: the same engine calls as the command line, one function per kind of job.

Each task takes the job and `tick` (called with 1 after each replication;
it raises when the user cancels) and returns a result small enough to send
back to the page: tables and reports, never the customer-month panel.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from sim.experiments.executors import job_key
from sim.scenario import Scenario

Tick = Callable[[int], None]

#: Parallel processes a comparison or optimizer uses inside the worker (the machine the dashboard targets has 2).
JOBS = 2


@dataclass(frozen=True)
class Job:
    """What to compute: a kind (run, compare, portfolio, migration, report), a scenario and options."""

    kind: str
    scenario: Scenario
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """A digest of everything the result depends on (the cache key; the checkpoints' job_key)."""
        return job_key(self.kind, self.scenario, json.dumps(self.options, sort_keys=True))

    @property
    def steps(self) -> int:
        """Replications the job runs in all (the progress bar's length)."""
        sc = self.scenario
        if self.kind == "compare":
            from sim.experiments import compare_steps

            return compare_steps(sc, self.options["variants"])
        if self.kind == "portfolio":
            from sim.workflows.portfolio import portfolio_steps

            return portfolio_steps(sc)
        if self.kind == "migration":
            from sim.workflows.migration import migration_replications

            return migration_replications(sc, sc.replications)
        if self.kind == "report":
            from sim.viz.report import report_steps

            return report_steps(sc)
        return sc.replications


def run_task(job: Job, tick: Tick) -> Any:
    """Replications of the scenario: KPIs, occupancy and lifetimes (``crmsim run``)."""
    from sim.experiments import run

    return run(job.scenario.with_overrides(record="aggregates"), progress=tick)


def compare_task(job: Job, tick: Tick) -> pd.DataFrame:
    """KPIs of each variant on common random numbers, one row per variant and replication (``crmsim compare``)."""
    from sim.experiments import compare

    return compare(job.scenario, job.options["variants"], n_jobs=JOBS, progress=tick)


def portfolio_task(job: Job, tick: Tick) -> Any:
    """The efficient portfolio of segments for a capacity, played on fresh seeds (``crmsim optimize portfolio``)."""
    from sim.workflows.portfolio import portfolio_loop

    sc = job.scenario
    report = portfolio_loop(sc, "segment", job.options["capacity"], None, 30, sc.replications, None, JOBS, tick)
    return dataclasses.replace(report, estimation=None)  # the estimation run's customer-month panel stays here


def migration_task(job: Job, tick: Tick) -> Any:
    """The migration plan for a monthly budget, checked on fresh seeds (``crmsim optimize migration``)."""
    from sim.workflows.migration import migration_loop

    sc = job.scenario
    report = migration_loop(sc, job.options["budget"], sc.replications, n_jobs=JOBS, progress=tick)
    return dataclasses.replace(report, estimation=None)


def report_task(job: Job, tick: Tick) -> str:
    """The self-contained HTML report of the scenario and its variants (``crmsim report``)."""
    from sim.version import __version__
    from sim.viz.report import make_report

    sc, header = job.scenario, f"Scenario as run by crmsim {__version__} (dashboard)."
    return make_report(sc, header, f"{sc.name}.toml", n_jobs=JOBS, progress=tick, record="aggregates").html


TASKS: dict[str, Callable[[Job, Tick], Any]] = {
    "run": run_task,
    "compare": compare_task,
    "portfolio": portfolio_task,
    "migration": migration_task,
    "report": report_task,
}
