"""What the command line shows: one console for results, one for progress and errors, and the tables it prints."""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import typer
from rich import box
from rich.console import Console, Group
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from sim.errors import CrmsimWarning

if TYPE_CHECKING:
    import pandas as pd

out_console = Console()
err_console = Console(stderr=True)


def fail(message: str) -> None:
    """Print one error line on stderr and exit with code 2 (a problem the user can fix)."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code=2)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """crmsim's own warnings as one line on stderr; any other warning as Python shows it."""
    if issubclass(category, CrmsimWarning):
        err_console.print(f"[bold yellow]warning:[/] {escape(str(message))}", highlight=False, soft_wrap=True)
    else:
        _python_show_warning(message, category, filename, lineno, file, line)


_python_show_warning = warnings.showwarning
warnings.showwarning = _show_warning


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


def summary_table(summary: pd.DataFrame, title: str, lifetime: bool = True) -> Table:
    """KPI means with their 95% intervals (rows of :func:`sim.results.tables.summarize`), money labelled by basis."""
    from sim.results.kpis import kpi_label

    table = Table(title=title, title_justify="left")
    table.add_column("KPI")
    table.add_column("mean", justify="right")
    table.add_column("95% interval", justify="right")
    for row in summary.itertuples():
        interval = "-" if row.replications < 2 else f"{fmt(row.ci_low)} .. {fmt(row.ci_high)}"
        table.add_row(kpi_label(row.kpi, lifetime), fmt(row.mean), interval)
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


def short(x: float) -> str:
    """A number in about 6 characters: 527k, 7.2k, 1.23M, 0.031 ('-' if NaN); the CSV files keep every digit."""
    if x != x:
        return "-"
    for size, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= size:
            return f"{x / size:.3g}{unit}"
    return fmt(x)


def differences_tables(diff: pd.DataFrame, title: str) -> Group:
    """Paired KPI differences from the baseline with intervals and verdicts: one table per variant, named for it.

    Sized for an 80-column terminal: numbers are shown to three significant figures (differences.csv has them all).
    """
    colour = {"better": "green", "worse": "red"}
    tables = []
    for variant, rows in diff.groupby("variant", sort=False):
        baseline = rows.baseline.iloc[0]
        table = Table(title=f"{variant} against {baseline}", title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("KPI", min_width=18)
        for col in (baseline, variant, "difference", "95% interval", ""):
            table.add_column(col, justify="right", no_wrap=True)
        for r in rows.itertuples():
            mark = f"[{colour[r.verdict]}]{r.verdict}[/]" if r.verdict in colour else r.verdict
            table.add_row(
                r.kpi.replace("_", " "),
                short(r.baseline_mean),
                short(r.variant_mean),
                short(r.difference),
                f"{short(r.ci_low)}..{short(r.ci_high)}",
                mark,
            )
        if rows["difference"].isna().any():
            table.caption = UNDEFINED_NOTE
        tables.append(table)
    return Group(Text(title, style="bold"), *tables)


def sweep_table(summary: pd.DataFrame, paths: list[str], value: str, title: str) -> Table:
    """One row per sweep point: the KPI (or the difference between variants, its interval and the winner).

    Parameters are headed by the last part of their path (``wallet_median``), with the full paths in the caption.
    """
    t = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
    winners, intervals = "winner" in summary, "ci_low" in summary
    heads = [_leaf(p) for p in paths]
    for head in heads:
        t.add_column(head.replace("_", " "))  # a long name wraps onto two lines; the values are short
    t.add_column(value.replace("_", " "), justify="right", no_wrap=True)
    if intervals:
        t.add_column("95% interval", justify="right", no_wrap=True)
    if winners:
        t.add_column("winner")
    for r in summary.to_dict("records"):
        cells = [f"{r[p]:g}" if isinstance(r[p], float) else str(r[p]) for p in paths] + [short(r[value])]
        if intervals:
            cells.append(f"{short(r['ci_low'])}..{short(r['ci_high'])}")
        if winners:
            cells.append(str(r["winner"]).replace("_", " "))
        t.add_row(*cells)
    t.caption = "; ".join(f"{h.replace('_', ' ')}: {p}" for h, p in zip(heads, paths, strict=True) if h != p)
    return t


def _leaf(path: str) -> str:
    """The last name of a dotted path: segments[*].need_uncertainty.mean -> need_uncertainty mean."""
    parts = [p.split("[")[0] for p in path.split(".")]
    return " ".join(parts[-2:]) if parts[-1] in ("mean", "concentration") else parts[-1]


def estimates_table(parameters: pd.DataFrame, title: str) -> Table:
    """Maximum-likelihood estimates with standard errors, one row per segment, model and parameter."""
    t = Table(title=title, title_justify="left")
    for col in ("segment", "model", "parameter", "estimate", "se"):
        t.add_column(col, justify="right" if col in ("estimate", "se") else "left")
    for r in parameters.itertuples():
        t.add_row(r.segment, r.model, r.parameter, f"{r.estimate:.4g}", f"{r.se:.3g}" if r.se == r.se else "n/a")
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
