"""Reading and writing spend plans (the file `crmsim optimize migration` writes and scenarios read)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sim.stages import N_RUNGS

if TYPE_CHECKING:
    import pandas as pd


def read_spend_plan(path: Path) -> tuple[list[float], dict[str, list[float]]]:
    """Read a CSV plan (columns rung, spend_per_customer, optional segment) into spend per rung and per segment."""
    import pandas as pd  # here: validating a scenario without a plan should not pay for pandas

    if not path.is_file():
        raise ValueError(f"plan file {path} not found; write one with `crmsim optimize migration`")
    try:
        df = pd.read_csv(path)
    except Exception as exc:  # pandas raises many kinds for unreadable files
        raise ValueError(f"plan file {path}: not a readable CSV ({exc})") from None
    missing = {"rung", "spend_per_customer"} - set(df.columns)
    if missing:
        raise ValueError(f"plan file {path}: missing columns {sorted(missing)}; needs rung, spend_per_customer")
    if not df["rung"].isin(range(1, N_RUNGS + 1)).all():
        raise ValueError(f"plan file {path}: rung must be 1..{N_RUNGS}")
    if (df["spend_per_customer"] < 0).any() or df["spend_per_customer"].isna().any():
        raise ValueError(f"plan file {path}: spend_per_customer must be a number >= 0")

    def per_rung(rows: pd.DataFrame) -> list[float]:
        s = rows.groupby("rung")["spend_per_customer"].sum().reindex(range(1, N_RUNGS + 1), fill_value=0.0)
        return [float(v) for v in s]

    if "segment" in df.columns:
        return [0.0] * N_RUNGS, {str(seg): per_rung(rows) for seg, rows in df.groupby("segment")}
    return per_rung(df), {}


def write_spend_plan(table: pd.DataFrame, path: Path) -> None:
    """Write a plan table (needs rung and spend_per_customer; segment optional) as CSV."""
    cols = [
        c for c in ("segment", "rung", "spend_per_customer", "move_probability", "expected_gain") if c in table.columns
    ]
    table[cols].to_csv(path, index=False)
