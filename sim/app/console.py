"""What the command line shows: one console for results, one for progress and errors, and the tables it prints."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

if TYPE_CHECKING:
    import pandas as pd

out_console = Console()
err_console = Console(stderr=True)


def fail(message: str) -> None:
    """Print one error line on stderr and exit with code 2 (a problem the user can fix)."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


UNDEFINED_NOTE = "-: not defined in these runs (e.g. time to commitment when no customer reached commitment)"


def fmt(x: float) -> str:
    """A number as a table shows it: thousands separators when large, three decimals when small, '-' if NaN."""
    if x != x:  # NaN: the KPI is not defined in these runs
        return "-"
    if abs(x) >= 1e4:
        return f"{x:,.0f}"
    if abs(x) >= 10 or x == 0:
        return f"{x:,.1f}"
    return f"{x:.3f}"


def progress(quiet: bool, total: int | None, label: str):
    """A progress bar on stderr and the callback that advances it (hidden with --quiet; no total: it pulses)."""
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=quiet,
        transient=True,
    )
    task = bar.add_task(label, total=total)
    return bar, (lambda k: bar.advance(task, k))


def summary_table(summary: pd.DataFrame, title: str) -> Table:
    """KPI means with their 95% intervals (rows of :func:`sim.results.tables.summarize`)."""
    table = Table(title=title, title_justify="left")
    table.add_column("KPI")
    table.add_column("mean", justify="right")
    table.add_column("95% interval", justify="right")
    for row in summary.itertuples():
        interval = "-" if row.replications < 2 else f"{fmt(row.ci_low)} .. {fmt(row.ci_high)}"
        table.add_row(row.kpi.replace("_", " "), fmt(row.mean), interval)
    if summary["mean"].isna().any():
        table.caption = UNDEFINED_NOTE
    return table


def loop_table(comparison: pd.DataFrame, title: str) -> Table:
    """Predicted and simulated quantities of a closed loop with their intervals."""
    table = Table(title=title, title_justify="left")
    table.add_column("quantity")
    table.add_column("mean", justify="right")
    table.add_column("95% interval", justify="right")
    for row in comparison.itertuples():
        table.add_row(row.quantity, fmt(row.mean), f"{fmt(row.ci_low)} .. {fmt(row.ci_high)}")
    return table


def differences_table(diff: pd.DataFrame, title: str) -> Table:
    """Paired KPI differences from the baseline with intervals and verdicts."""
    table = Table(title=title, title_justify="left")
    for col in ("KPI", diff.baseline.iloc[0], "variant", "difference (95% interval)", ""):
        table.add_column(col, justify="left" if col == "KPI" else "right")
    colour = {"better": "green", "worse": "red"}
    for r in diff.itertuples():
        mark = f"[{colour[r.verdict]}]{r.verdict}[/]" if r.verdict in colour else r.verdict
        table.add_row(
            f"{r.kpi.replace('_', ' ')} ({r.variant})",
            fmt(r.baseline_mean),
            fmt(r.variant_mean),
            f"{fmt(r.difference)} ({fmt(r.ci_low)} .. {fmt(r.ci_high)})",
            mark,
        )
    if diff["difference"].isna().any():
        table.caption = UNDEFINED_NOTE
    return table


def sweep_table(summary: pd.DataFrame, paths: list[str], value: str, title: str) -> Table:
    """One row per sweep point: the KPI (or the difference between variants, its interval and the winner)."""
    t = Table(title=title, title_justify="left")
    winners, intervals = "winner" in summary, "ci_low" in summary
    for c in [*paths, value, *(["95% interval"] if intervals else []), *(["winner"] if winners else [])]:
        t.add_column(c)
    for r in summary.to_dict("records"):
        cells = [f"{r[p]:g}" if isinstance(r[p], float) else str(r[p]) for p in paths] + [fmt(r[value])]
        if intervals:
            cells.append(f"{fmt(r['ci_low'])} .. {fmt(r['ci_high'])}")
        if winners:
            cells.append(r["winner"])
        t.add_row(*cells)
    return t


def estimates_table(parameters: pd.DataFrame, title: str) -> Table:
    """Maximum-likelihood estimates with standard errors, one row per segment, model and parameter."""
    t = Table(title=title, title_justify="left")
    for col in ("segment", "model", "parameter", "estimate", "se"):
        t.add_column(col, justify="right" if col in ("estimate", "se") else "left")
    for r in parameters.itertuples():
        t.add_row(r.segment, r.model, r.parameter, f"{r.estimate:.4g}", f"{r.se:.3g}")
    return t


def decomposition_table(decomposition: pd.DataFrame, title: str) -> Table:
    """What each knocked-out mechanism contributes to a gap, with intervals."""
    t = Table(title=title, title_justify="left")
    for col in ("mechanism", "contribution (95% interval)", "share of the gap (95% interval)"):
        t.add_column(col, justify="left" if col == "mechanism" else "right")
    for r in decomposition.itertuples():
        t.add_row(
            r.mechanism,
            f"{fmt(r.contribution)} ({fmt(r.contribution_low)} .. {fmt(r.contribution_high)})",
            f"{r.share_of_gap:.0%} ({r.share_low:.0%} .. {r.share_high:.0%})",
        )
    return t


def sensitivity_table(indices: pd.DataFrame, method: str, title: str) -> Table:
    """Sensitivity indices, one row per parameter, with their 95% intervals; '~0' where an interval reaches 0."""
    t = Table(title=title, title_justify="left")
    columns = ("mu*", "sigma") if method == "morris" else ("S1", "ST")
    t.add_column("parameter")
    for col in columns:
        t.add_column(f"{col} (95%)", justify="right")
    for r in indices.to_dict("records"):
        if method == "morris":
            mark = " ~0" if r["covers_0"] else ""
            cells = [f"{fmt(r['mu_star'])} ± {fmt(r['mu_star_conf'])}{mark}", fmt(r["sigma"])]
        else:
            cells = [f"{r[k]:.3f} ± {r[k + '_conf']:.3f}{' ~0' if r[k + '_covers_0'] else ''}" for k in ("S1", "ST")]
        t.add_row(r["parameter"], *cells)
    return t
