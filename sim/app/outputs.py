"""Where the command line writes: output folders, tables, figures and the scenario as run."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

from sim.errors import UsageError
from sim.scenario import Scenario
from sim.scenario.template import scenario_toml
from sim.version import __version__

if TYPE_CHECKING:
    import pandas as pd


# Output folders being written: staging folder -> the folder it becomes when the command succeeds.
_PENDING: dict[Path, Path] = {}
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

    Refuses a non-empty `out` unless `force`, which replaces it whole: no file of an earlier run is left beside
    the new ones, and an interrupted run leaves no folder that looks complete.
    """
    if out is None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = Path("runs") / f"{name}-{stamp}"
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a directory; choose another path")
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise UsageError(f"--out {out}: directory is not empty; choose another path or pass --force to replace it")
        if not (out / "manifest.json").is_file():  # --force replaces a crmsim run folder, never a folder of yours
            raise UsageError(
                f"--out {out}: not a crmsim output folder (no manifest.json), so --force will not replace it; "
                "choose another path or empty it yourself"
            )
    staging = out.parent / f".{out.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)  # left by an interrupted run
    staging.mkdir(parents=True)
    _PENDING[staging] = out
    return staging


def final(staging: Path) -> Path:
    """Where a staging folder's files end up."""
    return _PENDING.get(staging, staging)


def commit_outputs(command: str) -> None:
    """Move every staging folder into place, with a manifest of its files (the command succeeded)."""
    for staging, target in list(_PENDING.items()):
        files = sorted(p.name for p in staging.iterdir())
        manifest = {
            "command": command,
            "crmsim": __version__,
            "written": dt.datetime.now().isoformat(timespec="seconds"),
            "seconds": round(time.perf_counter() - _STARTED, 2),
            **_RUN,
            "versions": _versions(),
            "files": {name: _size(staging / name) for name in files},
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        if target.exists():
            old = target.parent / f".{target.name}.old"
            shutil.rmtree(old, ignore_errors=True)
            target.rename(old)
            staging.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            staging.rename(target)
        del _PENDING[staging]


def _size(path: Path) -> int:
    """Bytes of a file, or of every file in a folder (a Parquet table written in parts)."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size


def discard_outputs() -> None:
    """Remove every staging folder (the command failed or was interrupted)."""
    for staging in list(_PENDING):
        shutil.rmtree(staging, ignore_errors=True)
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
