"""`crmsim run`, `validate` and `new`: simulate a scenario, check one, write a template."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Annotated, Literal

import typer
import typer.core

from sim.app.cli.options import (
    MAX_COUNT,
    ForceOut,
    OutFolder,
    ScenarioSeed,
    date_option,
    read_scenario,
    with_runs,
)
from sim.app.cli.root import app
from sim.app.console import (
    err_console,
    out_console,
    progress,
    summary_table,
)
from sim.app.outputs import (
    check_format,
    final,
    prepare_out,
    write_scenario,
    write_tables,
)
from sim.errors import UsageError
from sim.scenario import Scenario


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML file, e.g. scenarios/baseline.toml.")],
    replications: Annotated[
        int | None,
        typer.Option("--replications", "-r", help="Replications (default: the scenario's).", min=1, max=MAX_COUNT),
    ] = None,
    seed: ScenarioSeed = None,
    out: OutFolder = None,
    force: ForceOut = False,
    fmt: Annotated[
        Literal["csv", "parquet"],
        typer.Option("--format", help="Table format: csv or parquet (parquet needs crmsim\\[parquet])."),
    ] = "csv",
    jobs: Annotated[
        int,
        typer.Option(
            "--jobs",
            "-j",
            help="Parallel processes for replications (results do not depend on it).",
            min=1,
            max=MAX_COUNT,
        ),
    ] = 1,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no summary table.")] = False,
    customer_table: Annotated[
        bool,
        typer.Option(
            "--customer-table", help="Also write the customer-month table (one row per customer and month; large)."
        ),
    ] = False,
    transactions: Annotated[
        bool,
        typer.Option(
            "--transactions",
            help="Also write transactions.csv (customer_id, date, amount: one row per purchase), "
            "a customer file that crmsim calibrate reads.",
        ),
    ] = False,
    start_date: Annotated[
        str, typer.Option("--start-date", help="Date of month 0 in transactions.csv (YYYY-MM-DD).")
    ] = "2025-01-01",
) -> None:
    """Simulate a scenario and write tidy tables, the resolved scenario and an occupancy plot.

    Writes to the output directory: replications.csv (one row per replication:
    KPIs), occupancy.csv (customers per stage and rung per month),
    lifetimes.csv (one row per customer: CLV and history), scenario.toml (the
    scenario as run, every default filled in), occupancy.png, with
    --customer-table customers.csv (one row per customer and month; with
    --format parquet, customers.parquet, a folder of one file per replication
    written while the run goes, so it need not fit in memory), and with
    --transactions transactions.csv (one row per purchase, dated from --start-date).
    """
    from sim.calibration.transactions import simulated_log
    from sim.experiments import run as run_replications
    from sim.experiments.cost import seconds_needed
    from sim.viz.plotting import plot_occupancy, save_figure

    check_format(fmt)
    start = date_option("--start-date", start_date)
    sc = with_runs(scenario, replications, seed)
    sc = sc.with_overrides(record="customers" if customer_table or transactions else "aggregates")
    out = prepare_out(out, sc.name, force)
    minutes = seconds_needed(sc, sc.replications, jobs) / 60.0
    if minutes > 1.0 and not quiet:
        err_console.print(f"this run will take about {minutes:,.0f} minutes", highlight=False)
    # A Parquet customer table is written while the replications run, so it never has to fit in memory.
    parts = out / "customers.parquet" if customer_table and fmt == "parquet" and not transactions else None
    bar, tick = progress(quiet, sc.replications, f"simulating {sc.name}")
    with bar:
        results = run_replications(sc, n_jobs=jobs, progress=tick, customer_parts=parts)
        extra = [parts] if parts is not None else []
        if transactions:
            extra = write_tables(out, {"transactions.csv": simulated_log(results.customers, start, sc.seed)})
            if not customer_table:  # the panel was recorded for the log only
                results = dataclasses.replace(results, customers=None)
        written = results.write(out, fmt) + extra
    write_scenario(out / "scenario.toml", sc)
    save_figure(plot_occupancy(results.occupancy, results.lifetimes), out / "occupancy")
    if not quiet:
        title = (
            f"{sc.name}: {sc.population.customers:,} customers, {sc.horizon_months} months, "
            f"{sc.replications} replications, seed {sc.seed} ({sc.strategy.posture}, {sc.strategy.account_growth})"
        )
        out_console.print(summary_table(results.summary(), title, sc.valuation.residual != "none"))
        names = ", ".join(p.name for p in written) + ", scenario.toml, occupancy.png"
        out_console.print(f"wrote {names} to [bold]{final(out)}[/]", highlight=False)


@app.command()
def validate(scenario: Annotated[Path, typer.Argument(help="Scenario TOML file to check.")]) -> None:
    """Check a scenario file and report every problem, without running it."""
    from sim.experiments import check_kpi

    sc = read_scenario(scenario)
    check_kpi(sc.sensitivity.kpi, "sensitivity.kpi =")
    out_console.print(
        f"{scenario}: valid ({sc.behaviour} model, {sc.population.customers:,} customers, {sc.horizon_months} months)"
    )


@app.command()
def new(
    path: Annotated[Path, typer.Argument(help="Where to write the new scenario file.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a scenario file with every parameter at its default and a comment saying what it means."""
    from sim.scenario.template import scenario_toml

    if path.exists() and not force:
        raise UsageError(f"{path}: exists; choose another path or pass --force to overwrite")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(scenario_toml(Scenario(name=path.stem)), encoding="utf-8")
    out_console.print(f"wrote {path}")
