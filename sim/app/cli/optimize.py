"""`crmsim optimize portfolio` and `optimize migration`: choose a plan, then play it on fresh seeds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
import typer.core

from sim.app.cli.options import (
    MAX_COUNT,
    EstimationReplications,
    EstimationSeed,
    ForceOut,
    OneJob,
    OutFolder,
    QuietTables,
    read_scenario,
)
from sim.app.cli.root import OneHandler, app
from sim.app.console import (
    loop_table,
    out_console,
    progress,
)
from sim.app.outputs import (
    final,
    prepare_out,
    write_scenario,
    write_tables,
)

optimize_app = typer.Typer(
    cls=OneHandler,
    help="Optimize customer portfolios and migration spend, checked by re-simulation.",
    no_args_is_help=True,
)
app.add_typer(optimize_app, name="optimize")


@optimize_app.command("portfolio")
def optimize_portfolio(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML file.")],
    level: Annotated[
        Literal["segment", "customer"], typer.Option("--level", help="Assets: segments or customers.")
    ] = "segment",
    capacity: Annotated[
        float, typer.Option("--capacity", help="Capacity as a share of the cost to serve everyone (0-1].")
    ] = 0.5,
    risk_aversion: Annotated[
        float | None,
        typer.Option(
            "--risk-aversion",
            help="Risk aversion gamma (default: the most value at no more risk than an even spread).",
            min=0,
        ),
    ] = None,
    points: Annotated[int, typer.Option("--points", help="Points on the frontier.", min=2, max=MAX_COUNT)] = 50,
    kappa: Annotated[
        float,
        typer.Option(
            "--kappa", help="Robustness: value each asset at its worst mean within kappa standard errors.", min=0
        ),
    ] = 0.0,
    replications: EstimationReplications = None,
    seed: EstimationSeed = None,
    out: OutFolder = None,
    force: ForceOut = False,
    jobs: OneJob = 1,
    quiet: QuietTables = False,
) -> None:
    """Choose the mean-variance efficient set of customers or segments, then play it on fresh seeds.

    The simulated firm serves the chosen holdings (each segment's `served`
    share, or the chosen customers) and, on the same fresh seeds, the same
    capacity spread evenly.  Writes frontier.csv (one row per risk aversion),
    portfolio.csv (holding per asset), closed_loop.csv (in-sample, corrected
    and simulated gain over the even spread, with 95% intervals),
    stability.csv (holdings on bootstrap resamples), scenario.toml (segment
    level: the scenario with the chosen `served` shares) and frontier.png.
    """
    from optimize.portfolio import held
    from sim.viz.plotting import plot_frontier, save_figure
    from sim.workflows.portfolio import portfolio_loop, portfolio_steps

    sc = read_scenario(scenario)
    out = prepare_out(out, f"{sc.name}-portfolio", force)
    reps = replications or sc.replications
    bar, tick = progress(quiet, portfolio_steps(sc, reps), "simulating, then playing the portfolio on fresh seeds")
    with bar:
        report = portfolio_loop(sc, level, capacity, risk_aversion, points, reps, seed, jobs, tick, kappa=kappa)
    tables = {
        "closed_loop.csv": report.comparison,
        "frontier.csv": report.frontier,
        "portfolio.csv": report.plan,
        "stability.csv": report.stability,
    }
    write_tables(out, tables)
    if level == "segment":
        write_scenario(out / "scenario.toml", report.scenario, "Scenario whose firm serves the chosen portfolio.")
    save_figure(plot_frontier(report.frontier), out / "frontier")
    if not quiet:
        n_held = int(held(report.plan.holding).sum())
        out_console.print(
            f"chosen portfolio holds {n_held} of {len(report.plan)} {level}s; wrote [bold]{final(out)}[/]",
            highlight=False,
        )
        for note in report.notes:
            out_console.print(f"note: {note}", highlight=False)
        out_console.print(loop_table(report.comparison, "closed loop (fresh seeds)"))


@optimize_app.command("migration")
def optimize_migration(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML file.")],
    budget: Annotated[float, typer.Option("--budget", help="Migration budget per month, in currency units.")] = 5000.0,
    kappa: Annotated[
        float,
        typer.Option("--kappa", help="Risk aversion: value each move at mean minus kappa standard deviations.", min=0),
    ] = 0.0,
    lifetime: Annotated[
        bool,
        typer.Option(
            "--lifetime",
            help='Value moves over the lifetime even with [valuation] residual = "none" (Markov mode).',
        ),
    ] = False,
    by_segment: Annotated[
        bool, typer.Option("--by-segment", help="Estimate the ladder and plan spend per segment and rung.")
    ] = False,
    replications: EstimationReplications = None,
    seed: EstimationSeed = None,
    out: OutFolder = None,
    force: ForceOut = False,
    jobs: OneJob = 1,
    quiet: QuietTables = False,
) -> None:
    """Choose monthly migration spend per rung under a budget, then check the gain on fresh seeds.

    Agent model: the response to each relationship investment (social,
    structural, financial) and to direct rung moves is measured in the model by
    designed runs, planned with cvxpy, re-measured around the plan until it
    settles, and validated on unseen seeds.  Markov mode: direct rung moves on
    the estimated ladder, with the exact chain prediction.  Writes plan.csv
    (`\\[investments] plan` or `\\[migration] plan` in a scenario reads it),
    scenario.toml (the scenario with the plan in force), closed_loop.csv
    (predicted and simulated gains against no spend, uniform spend, the Markov
    ladder's plan and a greedy plan, with 95% intervals), rounds.csv (the loop),
    stability.csv (the plan re-made on bootstrap resamples) and spend_plan.png.
    """
    from sim.scenario.plans import write_spend_plan
    from sim.viz.plotting import plot_spend_plan, save_figure
    from sim.workflows.migration import migration_loop, migration_replications

    sc = read_scenario(scenario)
    out = prepare_out(out, f"{sc.name}-migration", force)
    reps = replications or sc.replications
    bar, tick = progress(quiet, migration_replications(sc, reps), "measuring, planning and checking")
    with bar:
        report = migration_loop(sc, budget, reps, seed, kappa, lifetime, by_segment, n_jobs=jobs, progress=tick)
    write_spend_plan(report.plan, out / "plan.csv")
    tables = {"closed_loop.csv": report.comparison}
    if report.rounds is not None:
        tables["rounds.csv"] = report.rounds
    if report.stability is not None:
        tables["stability.csv"] = report.stability
    write_tables(out, tables)
    write_scenario(
        out / "scenario.toml",
        report.scenario.with_overrides(record=sc.record),
        "Scenario with the optimized migration plan.",
    )
    save_figure(plot_spend_plan(report.plan), out / "spend_plan")
    if not quiet:
        names = ", ".join([*tables, "plan.csv", "scenario.toml", "spend_plan.png"])
        out_console.print(f"wrote {names} to [bold]{final(out)}[/]", highlight=False)
        for note in report.notes:
            out_console.print(f"note: {note}", highlight=False)
        out_console.print(loop_table(report.comparison, f"closed loop (fresh seeds), budget {budget:,.0f} a month"))
