"""The `crmsim` command line: each command parses its options, calls the library, writes and prints the results.

All errors a user can fix (scenario, log, calibration, option and optimization
errors) reach one handler that prints one line and exits with code 2.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
import tempfile
import traceback
from pathlib import Path
from typing import Annotated

import typer
import typer.core
from rich.markup import escape

from optimize.errors import InputError, OptimizationError
from sim.app.console import (
    decomposition_table,
    differences_tables,
    err_console,
    estimates_table,
    fail,
    loop_table,
    out_console,
    progress,
    sensitivity_table,
    summary_table,
    sweep_table,
)
from sim.app.outputs import (
    check_format,
    checkpoint_file,
    commit_outputs,
    discard_outputs,
    final,
    note_input,
    note_scenario,
    prepare_files,
    prepare_out,
    write_scenario,
    write_tables,
)
from sim.app.staging import DISK_ERRNOS, disk_message
from sim.errors import UsageError
from sim.scenario import Scenario, load_scenario
from sim.version import __version__

# Every error a user can fix derives from one of these (ScenarioError, LogError and CalibrationError from UsageError).
USER_ERRORS = (UsageError, InputError, OptimizationError)


class _OneHandler(typer.core.TyperGroup):
    """Every command runs inside one error handler, so no command catches errors of its own."""

    def invoke(self, ctx: typer.Context):
        try:
            result = super().invoke(ctx)
            commit_outputs(" ".join(["crmsim", *sys.argv[1:]]))
        except USER_ERRORS as exc:
            discard_outputs()
            fail(str(exc))
        except OSError as exc:  # a full disk, a read-only folder: one line, and no half-written folder
            discard_outputs()
            if exc.errno not in DISK_ERRNOS:
                raise
            fail(disk_message(exc))
        except BaseException:  # interrupted or crashed: no half-written folder is left behind
            discard_outputs()
            raise
        return result


def _scenario(path: Path) -> Scenario:
    """Load a scenario file and note it for the output folder's manifest."""
    return note_scenario(path, load_scenario(path))


# Options several commands share, written once.
MAX_SEED = 2**63 - 1  # seeds are stored in 64-bit table columns
MAX_COUNT = 100_000  # replications, samples, points or processes: more is a typo (scenario files cap them alike)
ForceOut = Annotated[
    bool,
    typer.Option(
        "--force",
        help="Replace an earlier crmsim run folder at --out (only one whose manifest lists every file in it).",
    ),
]
AllCores = Annotated[
    int | None, typer.Option("--jobs", "-j", help="Parallel processes (default: all cores).", min=1, max=MAX_COUNT)
]
QuietTables = Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no table.")]
SeedAtEveryPoint = Annotated[
    int | None, typer.Option("--seed", "-s", help="Root seed (the same at every point).", min=0, max=MAX_SEED)
]
ClusterAddress = Annotated[
    str | None,
    typer.Option("--cluster", help="Dask scheduler address (tcp://HOST:8786) to run on instead of local cores."),
]
Resume = Annotated[
    bool,
    typer.Option(
        "--resume", help="Skip the runs an interrupted run into the same --out finished (checkpoint beside it)."
    ),
]

app = typer.Typer(
    cls=_OneHandler,
    help="crmsim: simulate customer relationships (stages, loyalty ladder, strategies) "
    "and optimize customer portfolios.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback(invoke_without_command=True)
def _root(version: Annotated[bool, typer.Option("--version", help="Show the version and exit.")] = False) -> None:
    if version:
        out_console.print(f"crmsim {__version__}")
        raise typer.Exit()


@app.command()
def run(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML file, e.g. scenarios/baseline.toml.")],
    replications: Annotated[
        int | None,
        typer.Option("--replications", "-r", help="Replications (default: the scenario's).", min=1, max=MAX_COUNT),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", "-s", help="Root seed (default: the scenario's).", min=0, max=MAX_SEED)
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output directory (default: runs/NAME-TIMESTAMP).")
    ] = None,
    force: ForceOut = False,
    fmt: Annotated[
        str, typer.Option("--format", help="Table format: csv or parquet (parquet needs crmsim\\[parquet]).")
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
    start = _date("--start-date", start_date)
    sc = _with_runs(scenario, replications, seed)
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
        out_console.print(summary_table(results.summary(), title))
        names = ", ".join(p.name for p in written) + ", scenario.toml, occupancy.png"
        out_console.print(f"wrote {names} to [bold]{final(out)}[/]", highlight=False)


def _date(option: str, text: str) -> dt.date:
    """A date option given as YYYY-MM-DD, or a usage error naming the option and the format."""
    try:
        if len(text) != 10:
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option} {text!r}: give a date as YYYY-MM-DD, e.g. 2025-01-31") from None


def _with_runs(path: Path, replications: int | None, seed: int | None) -> Scenario:
    """The scenario file with --replications and --seed applied where given (the manifest records it as run)."""
    scenario = load_scenario(path)
    overrides = {k: v for k, v in (("replications", replications), ("seed", seed)) if v is not None}
    return note_scenario(path, scenario.with_overrides(**overrides) if overrides else scenario)


@app.command()
def validate(scenario: Annotated[Path, typer.Argument(help="Scenario TOML file to check.")]) -> None:
    """Check a scenario file and report every problem, without running it."""
    from sim.experiments import check_kpi

    sc = _scenario(scenario)
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


optimize_app = typer.Typer(
    cls=_OneHandler,
    help="Optimize customer portfolios and migration spend, checked by re-simulation.",
    no_args_is_help=True,
)
app.add_typer(optimize_app, name="optimize")


@optimize_app.command("portfolio")
def optimize_portfolio(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML file.")],
    level: Annotated[str, typer.Option("--level", help="Assets: segment or customer.")] = "segment",
    capacity: Annotated[
        float, typer.Option("--capacity", help="Capacity as a share of the cost to serve everyone (0-1].")
    ] = 0.5,
    risk_aversion: Annotated[
        float | None,
        typer.Option("--risk-aversion", help="Risk aversion gamma (default: best value per unit of risk).", min=0),
    ] = None,
    points: Annotated[int, typer.Option("--points", help="Points on the frontier.", min=2, max=MAX_COUNT)] = 50,
    kappa: Annotated[
        float,
        typer.Option(
            "--kappa", help="Robustness: value each asset at its worst mean within kappa standard errors.", min=0
        ),
    ] = 0.0,
    replications: Annotated[
        int | None,
        typer.Option(
            "--replications", "-r", help="Replications for estimation and for the check.", min=2, max=MAX_COUNT
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed", "-s", help="Root seed of the estimation run (the check uses fresh seeds).", min=0, max=MAX_SEED
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output directory (default: runs/NAME-portfolio-TIMESTAMP).")
    ] = None,
    force: ForceOut = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Parallel processes.", min=1, max=MAX_COUNT)] = 1,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no tables.")] = False,
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
    from sim.workflows.portfolio import portfolio_loop

    sc = _scenario(scenario)
    out = prepare_out(out, f"{sc.name}-portfolio", force)
    reps = replications or sc.replications
    bar, tick = progress(quiet, 3 * reps, "simulating, then playing the portfolio on fresh seeds")
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
        bool, typer.Option("--lifetime", help="Value moves over the customer lifetime, not just the horizon.")
    ] = False,
    by_segment: Annotated[
        bool, typer.Option("--by-segment", help="Estimate the ladder and plan spend per segment and rung.")
    ] = False,
    replications: Annotated[
        int | None,
        typer.Option(
            "--replications", "-r", help="Replications for estimation and for the check.", min=2, max=MAX_COUNT
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            "--seed", "-s", help="Root seed of the estimation run (the check uses fresh seeds).", min=0, max=MAX_SEED
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output directory (default: runs/NAME-migration-TIMESTAMP).")
    ] = None,
    force: ForceOut = False,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Parallel processes.", min=1, max=MAX_COUNT)] = 1,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no tables.")] = False,
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

    sc = _scenario(scenario)
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


@app.command()
def compare(
    scenario: Annotated[
        Path,
        typer.Argument(help="Scenario TOML file with \\[compare.variants.*], e.g. scenarios/fitd_vs_all_at_once.toml."),
    ],
    variant: Annotated[
        list[str] | None,
        typer.Option("--variant", "-v", help="Extra or replacing variant NAME:PATH=VALUE[;PATH=VALUE] (repeatable)."),
    ] = None,
    baseline: Annotated[
        str | None, typer.Option("--baseline", "-b", help="Variant the others are compared with.")
    ] = None,
    replications: Annotated[
        int | None, typer.Option("--replications", "-r", help="Replications per variant.", min=2, max=MAX_COUNT)
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", "-s", help="Root seed (the same for every variant).", min=0, max=MAX_SEED)
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output directory (default: runs/NAME-compare-TIMESTAMP).")
    ] = None,
    force: ForceOut = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            help="Parallel processes (default: all cores; results do not depend on it).",
            min=1,
            max=MAX_COUNT,
        ),
    ] = None,
    cluster: ClusterAddress = None,
    quiet: QuietTables = False,
    resume: Resume = False,
) -> None:
    """Compare strategy variants on the same customers and draws: paired KPI differences with 95% intervals.

    Writes comparison.csv (one row per variant and replication: every KPI),
    differences.csv (one row per variant and KPI: difference from the
    baseline, its 95% interval, significance) and comparison.png.
    """
    from sim.experiments import COMPARE_KPIS, knockout_shares, paired_differences
    from sim.experiments import compare as run_compare
    from sim.scenario import parse_variant
    from sim.viz.plotting import plot_comparison, save_figure

    sc = _scenario(scenario)
    variants = dict(sc.compare.variants)
    if variant:
        if not variants:  # variants given only on the command line are compared with the scenario as written
            variants["baseline"] = {}
        variants.update(parse_variant(v) for v in variant)
    reps = replications or sc.replications
    if resume and out is None:
        raise UsageError("--resume: give the --out folder of the comparison to resume")
    out = prepare_out(out, f"{sc.name}-compare", force or resume)
    kept = checkpoint_file(final(out))
    bar, tick = progress(quiet, reps * max(1, len(variants)), f"comparing {len(variants)} variants")
    with bar:
        table = run_compare(
            sc,
            variants or None,
            reps,
            seed,
            n_jobs=jobs,
            progress=tick,
            cluster=cluster,
            checkpoint=kept,
            resume=resume,
        )
    diff = paired_differences(table, baseline or sc.compare.baseline or None)
    tables = {"comparison.csv": table, "differences.csv": diff}
    cmp = sc.compare
    if cmp.knockouts and (baseline or cmp.baseline or None) == diff.baseline.iloc[0]:
        tables["decomposition.csv"] = knockout_shares(table, diff.baseline.iloc[0], cmp.rival, cmp.knockouts)
    write_tables(out, tables)
    save_figure(plot_comparison(diff), out / "comparison")
    if not quiet:
        if "decomposition.csv" in tables:
            out_console.print(
                decomposition_table(tables["decomposition.csv"], f"profit gap to {cmp.rival}, by knock-out")
            )
        show = diff[diff.kpi.isin(COMPARE_KPIS[:6])]
        out_console.print(
            differences_tables(
                show, f"{sc.name}: {reps} paired replications, seed {seed if seed is not None else sc.seed}"
            )
        )
        names = ", ".join(tables) + ", comparison.png"
        out_console.print(f"wrote {names} to [bold]{final(out)}[/]", highlight=False)
    kept.unlink(missing_ok=True)  # complete: nothing to resume


@app.command()
def sweep(
    scenario: Annotated[
        Path,
        typer.Argument(help="Scenario TOML file (its \\[sweep] and \\[compare] tables are used unless overridden)."),
    ],
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            help="PATH=V1,V2,... (grid) or PATH=LOW,HIGH (lhs); repeatable; replaces \\[sweep.parameters].",
        ),
    ] = None,
    method: Annotated[str | None, typer.Option("--method", help="grid or lhs (Latin hypercube).")] = None,
    samples: Annotated[
        int | None, typer.Option("--samples", help="Points of a Latin hypercube sample.", min=1, max=MAX_COUNT)
    ] = None,
    kpi: Annotated[str, typer.Option("--kpi", help="KPI mapped in the plot and the winner table.")] = "profit",
    replications: Annotated[
        int | None,
        typer.Option("--replications", "-r", help="Replications per point and variant.", min=2, max=MAX_COUNT),
    ] = None,
    seed: SeedAtEveryPoint = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output directory (default: runs/NAME-sweep-TIMESTAMP).")
    ] = None,
    force: ForceOut = False,
    jobs: AllCores = None,
    cluster: ClusterAddress = None,
    quiet: QuietTables = False,
    resume: Resume = False,
) -> None:
    """Run the scenario across parameter values (what-if); with variants, map where each one wins.

    Writes sweep.csv (one row per point, variant and replication: every KPI),
    summary.csv (one row per point: mean KPI, or the difference between
    variants with its 95% interval and the winner) and sweep.png.  Every
    finished run is kept in OUT.checkpoint.jsonl beside the output folder
    until the sweep completes; --resume picks up from there.
    """
    from sim.experiments import check_kpi, summarize_sweep, sweep_baseline, sweep_points
    from sim.experiments import sweep as run_sweep
    from sim.scenario import parse_assignment
    from sim.viz.plotting import plot_sweep, save_figure

    check_kpi(kpi)
    sc = _scenario(scenario)
    params = dict(parse_assignment(p) for p in param) if param else sc.sweep.parameters
    n_points = len(sweep_points(params, method or sc.sweep.method, samples or sc.sweep.samples, sc.seed))
    n_variants = max(1, len(sc.sweep.variants or sc.compare.variants))
    reps = replications or sc.replications
    if resume and out is None:
        raise UsageError("--resume: give the --out folder of the sweep to resume")
    out = prepare_out(out, f"{sc.name}-sweep", force or resume)
    kept = checkpoint_file(final(out))
    bar, tick = progress(quiet, n_points * n_variants * reps, f"sweeping {n_points} points x {n_variants} variants")
    with bar:
        table = run_sweep(
            sc,
            params,
            method,
            samples,
            None,
            reps,
            seed,
            n_jobs=jobs,
            progress=tick,
            cluster=cluster,
            checkpoint=kept,
            resume=resume,
        )
    paths = list(params)
    summary, value, title = summarize_sweep(table, paths, kpi, sweep_baseline(sc))
    write_tables(out, {"sweep.csv": table, "summary.csv": summary})
    if len(paths) <= 2:
        fig = plot_sweep(summary, value, paths[0], paths[1] if len(paths) == 2 else None)
        fig.axes[0].set_title(title)
        save_figure(fig, out / "sweep")
    if not quiet:
        out_console.print(sweep_table(summary, paths, value, title))
        out_console.print(f"wrote sweep.csv, summary.csv, sweep.png to [bold]{final(out)}[/]", highlight=False)
    kept.unlink(missing_ok=True)  # complete: nothing to resume


@app.command()
def sensitivity(
    scenario: Annotated[
        Path, typer.Argument(help="Scenario TOML file (its \\[sensitivity] table is used unless overridden).")
    ],
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="PATH=LOW,HIGH, repeatable; replaces \\[sensitivity.parameters]."),
    ] = None,
    method: Annotated[
        str | None, typer.Option("--method", help="morris (screening) or sobol (variance shares).")
    ] = None,
    samples: Annotated[
        int | None,
        typer.Option(
            "--samples", help="Morris trajectories, or Sobol base samples (a power of 2).", min=2, max=MAX_COUNT
        ),
    ] = None,
    kpi: Annotated[str | None, typer.Option("--kpi", help="KPI whose variation is decomposed.")] = None,
    variant: Annotated[
        str | None,
        typer.Option(
            "--variant", "-v", help="A \\[compare] variant: decompose its paired difference from the baseline."
        ),
    ] = None,
    replications: Annotated[
        int | None, typer.Option("--replications", "-r", help="Replications per design point.", min=2, max=MAX_COUNT)
    ] = None,
    seed: SeedAtEveryPoint = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output directory (default: runs/NAME-sensitivity-TIMESTAMP).")
    ] = None,
    force: ForceOut = False,
    jobs: AllCores = None,
    cluster: ClusterAddress = None,
    quiet: QuietTables = False,
) -> None:
    """Which uncertain parameters drive a KPI: Morris screening or Sobol' indices (SALib), on common random numbers.

    Writes sensitivity.csv (one row per parameter: Morris mu*, its 95%
    interval, mu and sigma; or Sobol S1 and ST with their intervals, and
    whether each interval reaches 0), second_order.csv (Sobol, pairs),
    experiments.csv (one row per design point, arm and replication: the
    parameter values and every KPI) and sensitivity.png/.svg.  With
    --variant, the output decomposed is the variant's paired difference from
    the [compare] baseline (which parameters drive the gap between them).
    """
    from sim.experiments import check_kpi, design
    from sim.experiments import sensitivity as run_sensitivity
    from sim.experiments.sensitivity import sobol_note
    from sim.scenario import parse_assignment
    from sim.viz.plotting import plot_sensitivity, save_figure

    sc = _scenario(scenario)
    setup = sc.sensitivity
    params = dict(parse_assignment(p) for p in param) if param else setup.parameters
    method, samples, kpi = method or setup.method, samples or setup.samples, kpi or setup.kpi
    check_kpi(kpi)
    n_points = len(design(method, params, samples, sc.seed if seed is None else seed))
    note = sobol_note(method, samples)
    if note and not quiet:
        err_console.print(f"note: {note}", highlight=False)
    reps = replications or sc.replications
    out = prepare_out(out, f"{sc.name}-sensitivity", force)
    arms = 1 if variant is None else 2
    bar, tick = progress(quiet, n_points * reps * arms, f"{method}: {n_points} design points x {reps} replications")
    with bar:
        res = run_sensitivity(
            sc, params, kpi, method, samples, reps, seed, n_jobs=jobs, progress=tick, cluster=cluster, variant=variant
        )
    tables = {"sensitivity.csv": res.indices, "experiments.csv": res.experiments}
    if res.second_order is not None:
        tables["second_order.csv"] = res.second_order
    write_tables(out, tables)
    what = kpi if variant is None else f"{kpi}: {variant} minus {sc.compare.baseline or 'the scenario'}"
    save_figure(plot_sensitivity(res.indices, method, what), out / "sensitivity")
    if not quiet:
        title = (
            f"{method} sensitivity of {what}: {n_points} points x {reps} replications on the same seeds; "
            f"replication noise is {res.noise_share:.0%} of the spread between points ('~0': interval reaches 0)"
        )
        out_console.print(sensitivity_table(res.indices, method, title))
        out_console.print(f"wrote {', '.join(tables)}, sensitivity.png to [bold]{final(out)}[/]", highlight=False)


@app.command()
def discover(
    scenario: Annotated[
        Path,
        typer.Argument(help="Scenario TOML file (its \\[sensitivity.parameters] are the ranges unless -p is given)."),
    ],
    variant: Annotated[
        str, typer.Option("--variant", "-v", help="The \\[compare] variant whose wins over the baseline are mapped.")
    ],
    param: Annotated[list[str] | None, typer.Option("--param", "-p", help="PATH=LOW,HIGH, repeatable.")] = None,
    kpi: Annotated[str, typer.Option("--kpi", help="KPI on which the variant must do better.")] = "profit",
    samples: Annotated[int, typer.Option("--samples", help="Latin hypercube points.", min=10, max=MAX_COUNT)] = 200,
    threshold: Annotated[
        float, typer.Option("--threshold", help="Density the chosen box must reach (share of wins inside it).")
    ] = 0.8,
    replications: Annotated[
        int | None, typer.Option("--replications", "-r", help="Replications per point and arm.", min=2, max=MAX_COUNT)
    ] = None,
    seed: SeedAtEveryPoint = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output directory (default: runs/NAME-discover-TIMESTAMP).")
    ] = None,
    force: ForceOut = False,
    jobs: AllCores = None,
    cluster: ClusterAddress = None,
    quiet: QuietTables = False,
) -> None:
    """Where does a variant beat the baseline?  Latin hypercube runs, paired, then PRIM boxes (EMA Workbench).

    Writes experiments.csv (one row per point, arm and replication: every
    KPI), points.csv (per point: the paired mean difference and whether the
    variant did better), trajectory.csv (PRIM's peeling trajectory:
    coverage, density, parameters restricted), boxes.csv (every box on the
    trajectory, the chosen one marked: each restricted parameter's limits,
    the box's coverage and density, and the paired difference inside it
    with its 95% interval), tree.txt (a classification tree's rules for the
    same cases, a second view) and discovery.png/.svg.
    """
    from sim.experiments.discovery import discover as run_discover
    from sim.scenario import parse_assignment
    from sim.viz.plotting import plot_discovery, save_figure

    sc = _scenario(scenario)
    params = dict(parse_assignment(p) for p in param) if param else sc.sensitivity.parameters
    reps = replications or sc.replications
    out = prepare_out(out, f"{sc.name}-discover", force)
    bar, tick = progress(quiet, samples * reps * 2, f"discover: {samples} points x 2 arms x {reps} replications")
    with bar:
        res = run_discover(sc, params, kpi, variant, samples, reps, seed, threshold, jobs, tick, cluster)
    tables = {
        "experiments.csv": res.experiments,
        "points.csv": res.points,
        "trajectory.csv": res.trajectory,
        "boxes.csv": res.boxes,
    }
    write_tables(out, tables)
    (out / "tree.txt").write_text(res.tree, encoding="utf-8")
    chosen = res.boxes[res.boxes["chosen"]]
    save_figure(plot_discovery(res.trajectory, res.chosen, res.points, chosen), out / "discovery")
    if not quiet:
        b = chosen.iloc[0]
        out_console.print(
            f"{variant} does better on {kpi} at {res.points['case'].mean():.0%} of {samples} points. Chosen box "
            f"{res.chosen}: coverage {b.coverage:.0%}, density {b.density:.0%}, {b.points} points, paired difference "
            f"{b.difference:,.0f} ({b.ci_low:,.0f} .. {b.ci_high:,.0f})",
            highlight=False,
        )
        for r in chosen.itertuples():
            out_console.print(f"  {r.parameter}: {r.low:.4g} .. {r.high:.4g}", highlight=False)
        written = ", ".join([*tables, "tree.txt", "discovery.png"])
        out_console.print(f"wrote {written} to [bold]{final(out)}[/]", highlight=False)


@app.command()
def report(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML file.")],
    replications: Annotated[
        int | None,
        typer.Option("--replications", "-r", help="Replications (default: the scenario's).", min=2, max=MAX_COUNT),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", "-s", help="Root seed (default: the scenario's).", min=0, max=MAX_SEED)
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output directory (default: runs/NAME-report-TIMESTAMP).")
    ] = None,
    force: ForceOut = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs", "-j", help="Parallel processes for the comparison (default: all cores).", min=1, max=MAX_COUNT
        ),
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Simulate a scenario (and compare its variants, if it has any) and write one self-contained HTML report.

    Writes report.html (plots embedded; opens in any browser with no network),
    each plot as PNG and SVG files for slides (occupancy, comparison...),
    the tables behind it (replications.csv, occupancy.csv, lifetimes.csv, and
    differences.csv when variants are compared) and scenario.toml.
    """
    from sim.experiments import compare as run_compare
    from sim.experiments import paired_differences
    from sim.experiments import run as run_replications
    from sim.scenario.template import scenario_toml
    from sim.viz.report import build_report, write_report

    sc = _with_runs(scenario, replications, seed)
    out = prepare_out(out, f"{sc.name}-report", force)
    n = sc.replications
    total = n * (1 + len(sc.compare.variants))
    bar, tick = progress(quiet, total, f"simulating {sc.name}")
    with bar:
        res = run_replications(sc, progress=tick)
        comparison = None
        if sc.compare.variants:
            table = run_compare(sc, n_jobs=jobs, progress=tick)
            comparison = (table, paired_differences(table, sc.compare.baseline or None))
        text = scenario_toml(sc, header=f"Scenario as run by crmsim {__version__}.")
        html_text = build_report(sc, res, text, comparison, figures=out, source=str(scenario))
    path = write_report(out / "report.html", html_text)
    write_tables(out, {f"{name}.csv": getattr(res, name) for name in ("replications", "occupancy", "lifetimes")})
    if comparison is not None:
        write_tables(out, {"differences.csv": comparison[1]})
    (out / "scenario.toml").write_text(text, encoding="utf-8")
    if not quiet:
        out_console.print(
            f"wrote [bold]{final(out) / path.name}[/] ({path.stat().st_size / 1e6:.1f} MB, self-contained)",
            highlight=False,
        )


@app.command()
def dashboard(
    scenario: Annotated[
        Path | None, typer.Argument(help="Scenario TOML file to open (default: the baseline market).")
    ] = None,
    port: Annotated[int, typer.Option("--port", "-p", help="Port to serve on.", min=1, max=65535)] = 8000,
    host: Annotated[
        str, typer.Option("--host", help="Address to bind: 127.0.0.1 serves this machine only; 0.0.0.0 every network.")
    ] = "127.0.0.1",
    plans: Annotated[
        Path | None,
        typer.Option("--plans", help="Folder of plan CSVs the page may play (otherwise plans come by upload only)."),
    ] = None,
) -> None:
    """Open a what-if dashboard in the browser: levers, KPIs with intervals, paired variants and the optimizers.

    Serves http://HOST:PORT/ until Ctrl+C.  The page opens on the scenario's
    KPIs (at an interactive size: at most 1.5 million customer-months), runs
    every job in a background worker with a progress bar and a cancel button,
    and downloads the current what-if as a scenario TOML or an HTML report.
    """
    from sim.app.dashboard import serve

    serve(_scenario(scenario) if scenario is not None else Scenario(), host, port, plans)


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
        str,
        typer.Option(
            "--model", help="bgnbd: BG/NBD and Gamma-Gamma; agent: the agent model itself, by ABC-SMC (pyabc)."
        ),
    ] = "bgnbd",
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
    behaviour = "bgnbd".  --model agent fits the agent model's purchase,
    ladder, dissolution and spend parameters by ABC-SMC on the log's own
    cohorts and writes behaviour = "agent", where every strategy runs.  Also
    writes, next to the scenario: NAME.parameters.csv (estimates with
    standard errors, or 90% intervals for the agent model), NAME.rfm.csv
    (the RFM table), NAME.tracking.csv and NAME.tracking.png/.svg (simulated
    against actual cumulative repeat purchases; the agent model's beside
    BG/NBD's, month by month), and for BG/NBD NAME.conditional.csv (holdout
    purchases predicted from each customer's history against actual).
    """
    from sim.calibration.calibrate import fit_log, not_identified, provenance, validate
    from sim.calibration.transactions import Columns, check_date_format, read_log, rfm
    from sim.viz.plotting import plot_tracking

    if out.suffix != ".toml":
        raise UsageError(f"--out {out}: give a .toml file name for the scenario")
    if model not in ("bgnbd", "agent"):
        raise UsageError(f"--model {model}: use bgnbd or agent")
    last = _date("--holdout-end", holdout_end) if holdout_end is not None else dt.date.max
    if _date("--calibration-end", calibration_end) >= last:
        raise UsageError(f"--holdout-end {holdout_end}: give a date after --calibration-end {calibration_end}")
    if date_format is not None:
        check_date_format(date_format)
    sidecars = ["parameters.csv", "rfm.csv", "tracking.csv", "tracking.png", "tracking.svg"]
    sidecars += ["conditional.csv"] if model == "bgnbd" else []
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
    bar, tick = progress(quiet, 3, "reading the log, fitting BG/NBD and Gamma-Gamma, simulating the holdout")
    with bar:
        data = read_log(log, columns, date_format, allow_duplicates)
        tick(1)
        cal = fit_log(data, calibration_end, name=out.stem, gross_margin=gross_margin)
        tick(1)
        cal = validate(cal, data, holdout_end, replications=replications)
        tick(1)
    tables = {"parameters": cal.parameters(), "tracking": cal.tracking, "conditional": cal.conditional}
    header = provenance(cal, log.name, calibration_end)
    _write_calibration(
        staging, out, cal.scenario, header, tables, rfm(data, calibration_end), plot_tracking(cal.tracking)
    )
    if not quiet:
        out_console.print(estimates_table(cal.parameters(), f"{log.name}: maximum-likelihood estimates"))
        for line in [*cal.notes, *not_identified(cal)]:
            err_console.print(f"note: {line}", highlight=False)
        e = cal.errors
        out_console.print(
            f"holdout: cumulative repeat purchases off by {e['holdout_cumulative_mape']:.1%} on average "
            f"({e['holdout_final_error']:+.1%} at the end); "
            f"conditional expectation MAE {e['conditional_mae']:.2f} purchases"
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
    from sim.calibration.transactions import LogError, read_log, rfm
    from sim.scenario import Scenario
    from sim.viz.plotting import plot_tracking

    data = read_log(log, columns, date_format, allow_duplicates)
    try:
        end = pd.Timestamp(calibration_end)
    except ValueError:
        raise LogError(f"--calibration-end {calibration_end!r}: give a date as YYYY-MM-DD") from None
    start = Scenario(name=out.stem, firm={"gross_margin": gross_margin})
    bar, tick = progress(quiet, None, "fitting the agent model (ABC-SMC), simulations")
    with bar:
        fit = agent.fit_agent(data, end, start, progress=tick, **fit_options)
    seed = fit_options["seed"]
    track = pd.concat(
        [
            agent.agent_tracking(fit, replications, seed).assign(model="agent"),
            agent.bgnbd_tracking(data, fit.cohorts, end, replications, seed).assign(model="BG/NBD"),
        ],
        ignore_index=True,
    )
    errors = {name: agent.holdout_error(part) for name, part in track.groupby("model", sort=False)}
    header = agent.provenance(fit, log.name, calibration_end, errors)
    tables = {"parameters": fit.parameters, "tracking": track}
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


def main() -> None:
    """Console-script entry point: an unexpected error is one line on stderr, its traceback in a log file, exit 1.

    Typer itself reports usage errors (a missing argument, an unknown option) and user errors reach the
    commands' one handler; what still arrives here is a bug.
    """
    try:
        app()
    except Exception as exc:
        log = Path(tempfile.gettempdir()) / f"crmsim-error-{dt.datetime.now():%Y%m%d-%H%M%S}.log"
        log.write_text(traceback.format_exc(), encoding="utf-8")
        err_console.print(
            f"[bold red]error:[/] unexpected {type(exc).__name__}: {escape(str(exc))[:300]}\n"
            f"the traceback is in {log}; please report it with the command you ran",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(1)
