"""Output folders read back: every command's folder is an archive with a manifest, tables and figures.

``read_results(folder)`` gives the manifest (the command, the scenario's
content hash, its seed, the versions, the time it took) and every table the
command wrote, as the DataFrames it wrote, whether CSV or Parquet.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from sim.errors import UsageError

TABLE_SUFFIXES = (".csv", ".parquet")


@dataclass
class Archive:
    """One output folder: its manifest, its tables by file name, and the other files it holds."""

    folder: Path
    manifest: dict
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)  # figures, the scenario, the report...

    def __getitem__(self, name: str) -> pd.DataFrame:
        """A table by file name, with or without its suffix (``archive["sensitivity"]``)."""
        for key in (name, *(name + s for s in TABLE_SUFFIXES)):
            if key in self.tables:
                return self.tables[key]
        raise KeyError(f"{name}: no such table in {self.folder}; it has {sorted(self.tables)}")


def read_results(folder: str | Path) -> Archive:
    """Read a crmsim output folder back: the manifest and every table it lists."""
    folder = Path(folder)
    path = folder / "manifest.json"
    if not path.is_file():
        raise UsageError(f"{folder}: not a crmsim output folder (no manifest.json)")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    tables, files = {}, []
    for name in manifest.get("files", {}):
        if name.endswith(".csv"):
            tables[name] = pd.read_csv(folder / name)
        elif name.endswith(".parquet"):
            tables[name] = pd.read_parquet(folder / name)
        else:
            files.append(name)
    return Archive(folder, manifest, tables, files)
