"""Reading and writing spend plans (the file `crmsim optimize migration` writes and scenarios read)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sim.stages import INVESTMENT_KINDS, N_RUNGS

if TYPE_CHECKING:
    import pandas as pd


def _read(path: Path) -> pd.DataFrame:
    """A plan CSV, checked: rung 1..8 and spend_per_customer >= 0 on every row."""
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
    return df


def _split(df: pd.DataFrame) -> tuple[list[float], dict[str, list[float]]]:
    """Spend per rung (no segment column) or per segment and rung."""

    def per_rung(rows: pd.DataFrame) -> list[float]:
        s = rows.groupby("rung")["spend_per_customer"].sum().reindex(range(1, N_RUNGS + 1), fill_value=0.0)
        return [float(v) for v in s]

    if "segment" in df.columns:
        return [0.0] * N_RUNGS, {str(seg): per_rung(rows) for seg, rows in df.groupby("segment")}
    return per_rung(df), {}


def read_spend_plan(path: Path) -> tuple[list[float], dict[str, list[float]]]:
    """Read the direct rung moves of a plan (rung, spend_per_customer, optional segment and investment).

    A plan with an investment column contributes its "direct" rows.
    """
    df = _read(path)
    if "investment" in df.columns:  # a plan over every lever: its direct rung moves
        df = df[df["investment"] == "direct"]
    return _split(df)


def read_investment_plan(path: Path) -> dict[str, tuple[list[float], dict[str, list[float]]]]:
    """Read an investment plan (columns rung, investment, spend_per_customer, optional segment) by type."""
    df = _read(path)
    if "investment" not in df.columns:
        raise ValueError(
            f"plan file {path}: no investment column, so it plans direct rung moves; read it with [migration] plan"
        )
    unknown = set(df["investment"]) - {*INVESTMENT_KINDS, "direct"}
    if unknown:
        raise ValueError(f"plan file {path}: investment {sorted(unknown)}: use {', '.join(INVESTMENT_KINDS)}, direct")
    return {kind: _split(df[df["investment"] == kind]) for kind in INVESTMENT_KINDS if (df["investment"] == kind).any()}


def write_spend_plan(table: pd.DataFrame, path: Path) -> None:
    """Write a plan table (needs rung and spend_per_customer; segment and investment optional) as CSV."""
    keep = ("segment", "rung", "investment", "spend_per_customer", "move_probability", "expected_gain")
    cols = [c for c in keep if c in table.columns]
    table[cols].to_csv(path, index=False)


def plan_changes(path: Path, shown: str) -> dict[str, list[float] | dict[str, list[float]]]:
    """A plan file as the scenario changes it makes (dotted path -> spend), its errors naming it as `shown`.

    A plan with an investment column sets each type's spend (investments.KIND) and its direct rung moves
    (migration); one without sets migration only.  Errors name the file as `shown` (an upload's own name),
    never where it lies on the server.
    """
    import pandas as pd

    try:
        has_kinds = "investment" in pd.read_csv(path, nrows=0).columns
        planned = read_investment_plan(path) if has_kinds else {}
        direct = read_spend_plan(path)
    except ValueError as exc:
        raise ValueError(str(exc).replace(str(path), shown)) from None
    except Exception:  # pandas raises many kinds for a file that is not a CSV
        raise ValueError(f"plan file {shown}: not a readable CSV") from None
    changes: dict[str, list[float] | dict[str, list[float]]] = {}
    for table, (spend, by_segment) in [*((f"investments.{k}", v) for k, v in planned.items()), ("migration", direct)]:
        changes[f"{table}.spend"] = spend
        if by_segment:
            changes[f"{table}.segment_spend"] = by_segment
    return changes
