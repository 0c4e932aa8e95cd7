"""The experiments layer: replications, paired comparisons on common random numbers, sweeps, and where they run."""

from sim.experiments.compare import COMPARE_KPIS, compare, compare_steps, fitd_arms, knockout_shares, paired_differences
from sim.experiments.executors import default_jobs, map_jobs
from sim.experiments.runs import kpis, run
from sim.experiments.sensitivity import Sensitivity, design, sensitivity, sensitivity_steps
from sim.experiments.sweep import (
    check_kpi,
    summarize_sweep,
    sweep,
    sweep_baseline,
    sweep_points,
    sweep_steps,
)

__all__ = [
    "check_kpi",
    "summarize_sweep",
    "COMPARE_KPIS",
    "compare",
    "compare_steps",
    "default_jobs",
    "fitd_arms",
    "design",
    "knockout_shares",
    "kpis",
    "map_jobs",
    "paired_differences",
    "run",
    "Sensitivity",
    "sensitivity",
    "sensitivity_steps",
    "sweep",
    "sweep_baseline",
    "sweep_points",
    "sweep_steps",
]
