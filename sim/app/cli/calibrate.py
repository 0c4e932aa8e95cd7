"""`crmsim calibrate`: fit a transaction log and write a scenario, with its sidecars, as one set."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Annotated, Literal

import typer
import typer.core

from sim.app.cli.options import MAX_COUNT, MAX_SEED, date_option
from sim.app.cli.root import app
from sim.app.console import (
    err_console,
    estimates_table,
    out_console,
    progress,
)
from sim.app.outputs import (
    note_input,
    prepare_files,
    write_tables,
)
from sim.errors import UsageError
from sim.scenario import Scenario


@app.command()
def calibrate(
    log: Annotated[Path, typer.Argument(help="Transaction log, CSV or Parquet: one row per transaction.")],
    calibration_end: Annotated[
        str,
        typer.Option(
            "--calibration-end", help="Last date of the calibration period (YYYY-MM-DD); later rows are the holdout."
        ),
    ],
    out: Annotated[
        Path,
        typer.Option("--out", "-o", help="Scenario file to write (.toml); the tracking plot and tables go next to it."),
    ],
    customer: Annotated[str, typer.Option("--customer", help="Column with the customer id.")] = "customer_id",
    date: Annotated[str, typer.Option("--date", help="Column with the transaction date.")] = "date",
    amount: Annotated[str, typer.Option("--amount", help="Column with the transaction amount.")] = "amount",
    segment: Annotated[
        str | None, typer.Option("--segment", help="Column with a segment label: one fit per segment.")
    ] = None,
    date_format: Annotated[
        str | None, typer.Option("--date-format", help="strftime format of the dates, e.g. %Y%m%d (default: inferred).")
    ] = None,
    holdout_end: Annotated[
        str | None, typer.Option("--holdout-end", help="Last date of the holdout (default: the last date in the log).")
    ] = None,
    allow_duplicates: Annotated[
        bool,
        typer.Option("--allow-duplicates", help="Keep identical rows (same customer, date, amount) as real purchases."),
    ] = False,
    gross_margin: Annotated[
        float,
        typer.Option(
            "--gross-margin", help="Share of revenue kept (not in a log; used by the scenario).", min=0, max=1
        ),
    ] = 0.35,
    replications: Annotated[
        int, typer.Option("--replications", "-r", help="Simulations for the tracking plot.", min=2, max=MAX_COUNT)
    ] = 20,
    model: Annotated[
        Literal["bgnbd", "bgbb", "agent"],
        typer.Option(
            "--model",
            help="bgnbd: BG/NBD and Gamma-Gamma; bgbb: BG/BB and Gamma-Gamma for a discrete-time file (one "
            "opportunity a --period); agent: the agent model itself, by ABC-SMC (pyabc).",
        ),
    ] = "bgnbd",
    period: Annotated[
        Literal["year", "quarter", "month"] | None,
        typer.Option(
            "--period", help="bgbb: the calendar period of one transaction opportunity: year, quarter or month."
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option("--seed", "-s", help="Seed of the fit and the tracking runs.", min=0, max=MAX_SEED)
    ] = 0,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", help="Parallel processes (agent model).", min=1, max=MAX_COUNT)
    ] = 1,
    particles: Annotated[
        int, typer.Option("--particles", help="ABC-SMC particles per generation (agent model).", min=10, max=MAX_COUNT)
    ] = 200,
    generations: Annotated[
        int, typer.Option("--generations", help="ABC-SMC generations at most (agent model).", min=1, max=MAX_COUNT)
    ] = 12,
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an earlier calibration's files (never the input log).")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress and no tables.")] = False,
) -> None:
    """Fit a transaction log and write a scenario that crmsim run accepts.

    --model bgnbd (the default) fits BG/NBD and Gamma-Gamma and writes
    behaviour = "bgnbd"; --model bgbb --period year fits BG/BB to a file with
    one transaction opportunity a period and writes behaviour = "bgbb" (the
    continuous-time models refuse such a file and say so).  --model agent fits the agent model's purchase,
    ladder, dissolution and spend parameters by ABC-SMC on the log's own
    cohorts and writes behaviour = "agent", where every strategy runs.  Also
    writes, next to the scenario: NAME.parameters.csv (estimates with
    standard errors, or 90% intervals for the agent model), NAME.rfm.csv
    (the RFM table), NAME.tracking.csv and NAME.tracking.png/.svg (simulated
    against actual cumulative repeat purchases; the agent model's beside
    BG/NBD's, month by month), and for BG/NBD and BG/BB NAME.conditional.csv (holdout
    purchases predicted from each customer's history against actual); for the agent model
    NAME.profile.csv (how the calibration months' best customers buy in the holdout, both models
    against the log).
    """
    from sim.calibration.calibrate import fit_log, provenance, validate
    from sim.calibration.discrete import fit_discrete_log, refuse_discrete, validate_discrete
    from sim.calibration.transactions import Columns, check_date_format, read_log, rfm
    from sim.viz.plotting import plot_tracking

    if out.suffix != ".toml":
        raise UsageError(f"--out {out}: give a .toml file name for the scenario")
    if (model == "bgbb") != (period is not None):
        raise UsageError("--period: give it with --model bgbb (year, quarter or month), and only then")
    last = date_option("--holdout-end", holdout_end) if holdout_end is not None else dt.date.max
    if date_option("--calibration-end", calibration_end) >= last:
        raise UsageError(f"--holdout-end {holdout_end}: give a date after --calibration-end {calibration_end}")
    if date_format is not None:
        check_date_format(date_format)
    sidecars = ["parameters.csv", "rfm.csv", "tracking.csv", "tracking.png", "tracking.svg"]
    sidecars += ["conditional.csv"] if model != "agent" else ["profile.csv"]
    staging = prepare_files(out, [*(f"{out.stem}.{name}" for name in sidecars), out.name], force, [log])
    note_input(log)
    columns = Columns(customer, date, amount, segment=segment)
    if model == "agent":
        if segment:
            raise UsageError("--segment: the agent model is fitted as one segment so far; drop --segment")
        fit_options = {"seed": seed, "jobs": jobs, "population": particles, "generations": generations}
        _calibrate_agent(
            log,
            calibration_end,
            out,
            staging,
            columns,
            date_format,
            allow_duplicates,
            gross_margin,
            replications,
            fit_options,
            quiet,
        )
        return
    fitted = "BG/BB" if model == "bgbb" else "BG/NBD"
    bar, tick = progress(quiet, 3, f"reading the log, fitting {fitted} and Gamma-Gamma, simulating the holdout")
    with bar:
        data = read_log(log, columns, date_format, allow_duplicates)
        tick(1)
        if model == "bgbb":
            cal = fit_discrete_log(data, calibration_end, period, name=out.stem, gross_margin=gross_margin)
            cal = validate_discrete(cal, data, holdout_end, replications=replications)
        else:
            refuse_discrete(data, log.name, "BG/NBD lets customers buy at any time")
            cal = fit_log(data, calibration_end, name=out.stem, gross_margin=gross_margin)
            cal = validate(cal, data, holdout_end, replications=replications)
        tick(2)
    tables = {"parameters": cal.parameters(), "tracking": cal.tracking, "conditional": cal.conditional}
    header = provenance(cal, log.name, calibration_end)
    _write_calibration(
        staging, out, cal.scenario, header, tables, rfm(data, calibration_end), plot_tracking(cal.tracking)
    )
    if not quiet:
        _report_fit(cal, log.name, out)


def _report_fit(cal, source: str, out: Path) -> None:
    """The console summary of a BG/NBD or BG/BB calibration: estimates, notes and the holdout check."""
    from sim.calibration.calibrate import not_identified

    out_console.print(estimates_table(cal.parameters(), f"{source}: maximum-likelihood estimates"))
    for line in [*cal.notes, *not_identified(cal)]:
        err_console.print(f"note: {line}", highlight=False)
    e = cal.errors
    out_console.print(
        f"holdout: cumulative repeat purchases off by {e['holdout_cumulative_mape']:.1%} on average "
        f"({e['holdout_final_error']:+.1%} at the end); "
        + (
            f"conditional expectation MAE {e['conditional_mae']:.2f} purchases"
            if math.isfinite(e["conditional_mae"])
            else "no conditional expectations (the fit is not identified)"
        )
    )
    out_console.print(f"wrote [bold]{out}[/] and its tables and tracking plot", highlight=False)


def _calibrate_agent(
    log: Path,
    calibration_end: str,
    out: Path,
    staging: Path,
    columns,
    date_format: str | None,
    allow_duplicates: bool,
    gross_margin: float,
    replications: int,
    fit_options: dict,
    quiet: bool,
) -> None:
    """crmsim calibrate --model agent: ABC-SMC on the log's cohorts, tracking beside BG/NBD, the scenario and tables."""
    import pandas as pd

    from sim.calibration import agent
    from sim.calibration.discrete import refuse_discrete
    from sim.calibration.transactions import LogError, read_log, rfm
    from sim.scenario import Scenario
    from sim.viz.plotting import plot_tracking

    data = read_log(log, columns, date_format, allow_duplicates)
    refuse_discrete(data, log.name, "the agent model lets customers buy in any month")
    try:
        end = pd.Timestamp(calibration_end)
    except ValueError:
        raise LogError(f"--calibration-end {calibration_end!r}: give a date as YYYY-MM-DD") from None
    start = Scenario(name=out.stem, firm={"gross_margin": gross_margin})
    bar, tick = progress(quiet, None, "fitting the agent model (ABC-SMC), simulations")
    with bar:
        done = agent.calibrate_agent(data, end, start, replications, progress=tick, **fit_options)
    fit, track, errors = done.fit, done.tracking, done.errors
    header = agent.provenance(fit, log.name, calibration_end, errors)
    tables = {"parameters": fit.parameters, "tracking": track, "profile": done.profile}
    figure = plot_tracking(track, band="90%")
    _write_calibration(staging, out, fit.scenario, header, tables, rfm(data, calibration_end), figure)
    if not quiet:
        out_console.print(fit.parameters.to_string(index=False), highlight=False)
        out_console.print(
            "holdout: cumulative repeat purchase-months off by "
            + ", ".join(f"{e:.1%} ({name})" for name, e in errors.items())
            + f" on average; {fit.simulations:,} simulations in {fit.generations} generations",
            highlight=False,
        )
        shown = done.profile.pivot(index="statistic", columns="model", values="simulated")
        shown.insert(0, "actual", done.profile.groupby("statistic").actual.first())
        out_console.print(shown.round(3).to_string(), highlight=False)
        out_console.print(f"wrote [bold]{out}[/] and its tables and tracking plot", highlight=False)


def _write_calibration(
    staging: Path, out: Path, scenario: Scenario, header: str, tables: dict, rfm_table, figure
) -> None:
    """A calibration's files, staged together: they go beside `out` as one set when the command succeeds."""
    from sim.scenario.template import scenario_toml
    from sim.viz.plotting import save_figure

    stem = out.stem
    write_tables(staging, {f"{stem}.{name}.csv": df for name, df in tables.items()})
    rfm_table.to_csv(staging / f"{stem}.rfm.csv")  # indexed by customer
    save_figure(figure, staging / f"{stem}.tracking")
    (staging / out.name).write_text(scenario_toml(scenario, header=header), encoding="utf-8")
