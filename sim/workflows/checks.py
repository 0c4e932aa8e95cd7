"""What every closed loop shares: fresh seeds for the check, the comparison rows, and the report.

The check asks whether the gain an optimizer predicts shows up in
simulations it has not seen.  Fresh replications use a different root seed
from the estimation runs; within the check, the plan and its comparisons run on
the same seeds (common random numbers), so gains are paired differences.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.results.stats import mean_interval, welch_interval
from sim.results.tables import Results
from sim.scenario import Scenario

CHECK_SEED_OFFSET = 1_000_003  # fresh seeds for the check: never the estimation run's


def row(label: str, x: np.ndarray) -> dict[str, float | str]:
    est = mean_interval(x)
    return {"quantity": label, "mean": est.mean, "ci_low": est.low, "ci_high": est.high, "replications": len(x)}


@dataclass
class LoopReport:
    """The plan, how it was estimated, and how it fared on fresh seeds."""

    plan: pd.DataFrame
    comparison: pd.DataFrame  # one row per quantity: predicted and simulated gains with intervals
    frontier: pd.DataFrame | None = None
    estimation: Results | None = None
    scenario: Scenario | None = None  # the scenario with the plan in force (migration)
    notes: list[str] = field(default_factory=list)  # what the user should know about the plan, one line each
    rounds: pd.DataFrame | None = None  # the simulation-optimisation loop, one row per round
    stability: pd.DataFrame | None = None  # how much the plan moves between resamples of its estimate

    def consistent(self) -> bool:
        """Does the interval of (simulated - predicted) contain 0?"""
        row = self.comparison.set_index("quantity").loc["simulated minus predicted"]
        return bool(row.ci_low <= 0.0 <= row.ci_high)


def diff_row(simulated: np.ndarray, predicted: np.ndarray) -> dict[str, float | str]:
    """Simulated minus predicted mean, with Welch's interval (the two come from independent runs)."""
    est = welch_interval(simulated, predicted)
    return {
        "quantity": "simulated minus predicted",
        "mean": est.mean,
        "ci_low": est.low,
        "ci_high": est.high,
        "replications": len(simulated),
    }
