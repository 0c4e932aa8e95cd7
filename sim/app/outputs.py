"""Where the command line writes: output folders, tables, figures and the scenario as run."""

from __future__ import annotations

import datetime as dt
import hashlib
import platform
import time
from pathlib import Path
from typing import TYPE_CHECKING

from sim.app.staging import Staged, size, stage_files, stage_folder
from sim.errors import UsageError
from sim.scenario import Scenario
from sim.scenario.template import scenario_toml
from sim.version import __version__

if TYPE_CHECKING:
    import pandas as pd


# Output folders being written: staging folder -> the folder it becomes when the command succeeds.
_PENDING: dict[Path, Staged] = {}
_STARTED = time.perf_counter()  # the command's start (this module is imported when the command line starts)
_RUN: dict[str, object] = {}  # what the manifest says about the scenario the command ran


def note_scenario(path: Path, scenario: Scenario) -> Scenario:
    """Remember the scenario a command runs, for its folder's manifest; returns it unchanged."""
    canonical = scenario_toml(scenario).encode("utf-8")  # a hash of the content, not of the file's layout
    _RUN["scenario"] = {
        "file": str(path),
        "name": scenario.name,
        "sha256": hashlib.sha256(canonical).hexdigest(),
        "seed": scenario.seed,
        "replications": scenario.replications,
    }
    return scenario


def _versions() -> dict[str, str]:
    """Python and the packages whose versions decide the numbers."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("numpy", "scipy", "simpy", "numba", "pandas", "cvxpy", "SALib"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


def prepare_out(out: Path | None, name: str, force: bool) -> Path:
    """A staging folder for the command's files; it becomes `out` (or runs/NAME-TIMESTAMP) only if the command succeeds.

    Refuses a non-empty `out` unless `force`, and even then replaces only a crmsim output folder whose manifest
    lists every file in it (see :mod:`sim.app.staging`): no file of an earlier run is left beside the new ones, no
    file of yours is replaced, and an interrupted run leaves no folder that looks complete.
    """
    if out is None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = Path("runs") / f"{name}-{stamp}"
    staged = stage_folder(out, force)
    _PENDING[staged.staging] = staged
    return staged.staging


def prepare_files(out: Path, names: list[str], force: bool, inputs: list[Path]) -> Path:
    """A staging folder for a set of files that go beside `out` together (its own name last), with a manifest.

    Refuses to overwrite any of them unless `force`, and never writes over an input, even with `force`.
    """
    staged = stage_files(out, names, force, inputs)
    _PENDING[staged.staging] = staged
    return staged.staging


def note_input(path: Path) -> None:
    """Remember a command's input file (a transaction log) for its manifest: its name, size and content hash."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    _RUN["input"] = {"file": str(path), "bytes": path.stat().st_size, "sha256": digest.hexdigest()}


def final(staging: Path) -> Path:
    """Where a staging folder's files end up."""
    staged = _PENDING.get(staging)
    return staged.target if staged is not None else staging


def commit_outputs(command: str) -> None:
    """Move every staging folder into place, with a manifest of its files (the command succeeded)."""
    for staging, staged in list(_PENDING.items()):
        files = sorted(p.name for p in staging.iterdir())
        manifest = {
            "command": command,
            "crmsim": __version__,
            "written": dt.datetime.now().isoformat(timespec="seconds"),
            "seconds": round(time.perf_counter() - _STARTED, 2),
            **_RUN,
            "versions": _versions(),
            "files": {name: size(staging / name) for name in files},
        }
        del _PENDING[staging]
        staged.commit(manifest)


def discard_outputs() -> None:
    """Remove every staging folder (the command failed or was interrupted)."""
    for staging, staged in list(_PENDING.items()):
        staged.discard()
        del _PENDING[staging]


def write_scenario(path: Path, scenario: Scenario, header: str | None = None) -> Path:
    """The scenario as a commented TOML file, every default filled in."""
    header = header or f"Scenario as run by crmsim {__version__} (every default filled in)."
    path.write_text(scenario_toml(scenario, header=header), encoding="utf-8")
    return path


def write_tables(out: Path, tables: dict[str, pd.DataFrame]) -> list[Path]:
    """Write each table as NAME (a .csv file name) into `out`."""
    written = []
    for name, df in tables.items():
        df.to_csv(out / name, index=False)
        written.append(out / name)
    return written


def check_format(fmt: str) -> None:
    """--format is csv, or parquet with pyarrow installed."""
    if fmt not in ("csv", "parquet"):
        raise UsageError(f"--format {fmt}: use csv or parquet")
    if fmt == "parquet":
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            raise UsageError("--format parquet needs pyarrow: pip install 'crmsim[parquet]'") from None


def checkpoint_file(target: Path) -> Path:
    """Where a long study keeps its finished runs until it completes: beside its output folder, not inside it."""
    return target.parent / f"{target.name}.checkpoint.jsonl"
