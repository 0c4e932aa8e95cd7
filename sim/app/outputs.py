"""Where the command line writes: output folders, tables, figures and the scenario as run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from sim.errors import UsageError
from sim.scenario import Scenario
from sim.scenario.template import scenario_toml
from sim.version import __version__

if TYPE_CHECKING:
    import pandas as pd


def prepare_out(out: Path | None, name: str, force: bool) -> Path:
    """The output directory: `out`, or runs/NAME-TIMESTAMP; refuses a non-empty one unless `force`."""
    if out is None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = Path("runs") / f"{name}-{stamp}"
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a directory; choose another path")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise UsageError(f"--out {out}: directory is not empty; choose another path or pass --force to overwrite")
    out.mkdir(parents=True, exist_ok=True)
    return out


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
