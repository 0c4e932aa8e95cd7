"""The customer-month table written while the simulation runs: Parquet parts, one per replication.

A market of a million customers over ten years makes 120 million
customer-months, more than memory holds as a table.  With a stream, the
engine hands each month's rows to a writer as the month closes
(:class:`sim.engine.records.Recorder`) and keeps none of them: the table
grows on disk as ``customers.parquet/part-00000.parquet`` (one file per
replication, a row group every ``ROWS`` rows), which ``pandas.read_parquet``
reads back whole, or a column at a time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sim.results.tables import panel_frame
from sim.scenario import Scenario

ROWS = 1_000_000  # rows buffered before a row group is written: bounded memory, few row groups


class PanelParts:
    """Where a run's customer-month table goes: a folder of Parquet parts (picklable: workers open their own)."""

    def __init__(self, folder: Path, scenario: Scenario) -> None:
        self.folder, self.scenario = Path(folder), scenario

    def part(self, replication: int, seed: int) -> PanelWriter:
        """The writer of one replication's rows."""
        self.folder.mkdir(parents=True, exist_ok=True)
        return PanelWriter(self.folder / f"part-{replication:05d}.parquet", replication, seed, self.scenario)


class PanelWriter:
    """One replication's customer-months, written as they are made (the engine calls `month`, then `close`)."""

    def __init__(self, path: Path, replication: int, seed: int, scenario: Scenario) -> None:
        self.path, self.replication, self.seed, self.scenario = path, replication, seed, scenario
        self._chunks: list[Any] = []
        self._rows = 0
        self._writer: Any = None

    def month(self, t: int, segment: np.ndarray, entered: np.ndarray, columns: dict[str, np.ndarray]) -> None:
        """Month t's rows: the customers in the market (entered by t), with their state and flows."""
        k = np.flatnonzero((entered >= 0) & (entered <= t))
        frame = panel_frame(
            self.replication, self.seed, np.full(len(k), t), k, segment[k], {n: c[k] for n, c in columns.items()},
            self.scenario,
        )  # fmt: skip
        self._chunks.append(frame)
        self._rows += len(frame)
        if self._rows >= ROWS:
            self._flush()

    def close(self) -> None:
        """Write what is buffered and close the file."""
        self._flush()
        if self._writer is not None:
            self._writer.close()
            self._writer = None  # closed: the writer goes back to the main process with its replication

    def _flush(self) -> None:
        if not self._chunks:
            return
        import pandas as pd
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(pd.concat(self._chunks, ignore_index=True), preserve_index=False)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, table.schema)
        self._writer.write_table(table)
        self._chunks, self._rows = [], 0
