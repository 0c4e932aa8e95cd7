"""What several commands share, written once: option declarations, bounds, and reading a scenario or a date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
import typer.core

from sim.app.outputs import (
    note_scenario,
)
from sim.errors import UsageError
from sim.scenario import Scenario, load_scenario


def read_scenario(path: Path) -> Scenario:
    """Load a scenario file and note it for the output folder's manifest."""
    return note_scenario(path, load_scenario(path))


# Options several commands share, written once.
MAX_SEED = 2**63 - 1  # seeds are stored in 64-bit table columns
MAX_COUNT = 100_000  # replications, samples, points or processes: more is a typo (scenario files cap them alike)
ForceOut = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Replace an earlier crmsim run folder at --out (only one whose manifest lists every file in it).",
    ),
]
AllCores = Annotated[
    int | None, typer.Option("--jobs", "-j", help="Parallel processes (default: all cores).", min=1, max=MAX_COUNT)
]
QuietTables = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no table.")]
SeedAtEveryPoint = Annotated[
    int | None, typer.Option("--seed", "-s", help="Root seed (the same at every point).", min=0, max=MAX_SEED)
]
ClusterAddress = Annotated[
    str | None,
    typer.Option("--cluster", help="Dask scheduler address (tcp://HOST:8786) to run on instead of local cores."),
]
OutFolder = Annotated[
    Path | None, typer.Option("--out", "-o", help="Output directory (default: runs/NAME-COMMAND-TIMESTAMP).")
]
EstimationReplications = Annotated[
    int | None,
    typer.Option("--replications", "-r", help="Replications for estimation and for the check.", min=2, max=MAX_COUNT),
]
EstimationSeed = Annotated[
    int | None,
    typer.Option(
        "--seed", "-s", help="Root seed of the estimation run (the check uses fresh seeds).", min=0, max=MAX_SEED
    ),
]
ScenarioSeed = Annotated[
    int | None, typer.Option("--seed", "-s", help="Root seed (default: the scenario's).", min=0, max=MAX_SEED)
]
OneJob = Annotated[int, typer.Option("--jobs", "-j", help="Parallel processes.", min=1, max=MAX_COUNT)]
Resume = Annotated[
    bool,
    typer.Option(
        "--resume", help="Skip the runs an interrupted run into the same --out finished (checkpoint beside it)."
    ),
]


def date_option(option: str, text: str) -> dt.date:
    """A date option given as YYYY-MM-DD, or a usage error naming the option and the format."""
    try:
        if len(text) != 10:
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} {text!r}: give a date as YYYY-MM-DD, e.g. 2025-01-31") from None


def with_runs(path: Path, replications: int | None, seed: int | None) -> Scenario:
    """The scenario file with --replications and --seed applied where given (the manifest records it as run)."""
    scenario = load_scenario(path)
    overrides = {k: v for k, v in (("replications", replications), ("seed", seed)) if v is not None}
    return note_scenario(path, scenario.with_overrides(**overrides) if overrides else scenario)
