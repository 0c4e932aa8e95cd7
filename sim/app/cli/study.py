"""`crmsim compare`, `sweep`, `sensitivity` and `discover`: the what-if studies."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
import typer.core

from sim.app.cli.options import (
    MAX_COUNT,
    MAX_SEED,
    AllCores,
    ClusterAddress,
    ForceOut,
    OutFolder,
    QuietTables,
    Resume,
    SeedAtEveryPoint,
    read_scenario,
)
from sim.app.cli.root import app
from sim.app.console import (
    decomposition_table,
    differences_tables,
    err_console,
    out_console,
    progress,
    sensitivity_table,
    sweep_table,
)
from sim.app.outputs import (
    checkpoint_file,
    final,
    prepare_out,
    write_tables,
)
from sim.errors import UsageError

DECOMPOSED = ("customer_equity", "profit")  # the gaps decomposition.csv splits by knock-out: value and flow


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
    out: OutFolder = None,
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
    import pandas as pd

    from sim.experiments import COMPARE_KPIS, compare_steps, knockout_shares, paired_differences
    from sim.experiments import compare as run_compare
    from sim.results.kpis import kpi_label
    from sim.scenario import parse_variant
    from sim.viz.plotting import plot_comparison, save_figure

    sc = read_scenario(scenario)
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
    bar, tick = progress(quiet, compare_steps(sc, variants, reps), f"comparing {len(variants)} variants")
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
        shares = [knockout_shares(table, diff.baseline.iloc[0], cmp.rival, cmp.knockouts, kpi) for kpi in DECOMPOSED]
        tables["decomposition.csv"] = pd.concat(shares, ignore_index=True)
    write_tables(out, tables)
    save_figure(plot_comparison(diff), out / "comparison")
    if not quiet:
        if "decomposition.csv" in tables:
            for kpi, part in tables["decomposition.csv"].groupby("kpi", sort=False):
                title = f"{kpi_label(kpi, sc.valuation.residual != 'none')} gap to {cmp.rival}, by knock-out"
                out_console.print(decomposition_table(part, title))
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
    method: Annotated[
        Literal["grid", "lhs"] | None, typer.Option("--method", help="grid or lhs (Latin hypercube).")
    ] = None,
    samples: Annotated[
        int | None, typer.Option("--samples", help="Points of a Latin hypercube sample.", min=1, max=MAX_COUNT)
    ] = None,
    kpi: Annotated[str, typer.Option("--kpi", help="KPI mapped in the plot and the winner table.")] = "profit",
    replications: Annotated[
        int | None,
        typer.Option("--replications", "-r", help="Replications per point and variant.", min=2, max=MAX_COUNT),
    ] = None,
    seed: SeedAtEveryPoint = None,
    out: OutFolder = None,
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
    from sim.experiments import check_kpi, summarize_sweep, sweep_baseline, sweep_steps
    from sim.experiments import sweep as run_sweep
    from sim.scenario import parse_assignment
    from sim.viz.plotting import plot_sweep, save_figure

    check_kpi(kpi)
    sc = read_scenario(scenario)
    params = dict(parse_assignment(p) for p in param) if param else sc.sweep.parameters
    n_points, n_variants, reps = sweep_steps(sc, params, method, samples, replications or sc.replications)
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
        Literal["morris", "sobol"] | None,
        typer.Option("--method", help="morris (screening) or sobol (variance shares)."),
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
    out: OutFolder = None,
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
    from sim.experiments import check_kpi, sensitivity_steps
    from sim.experiments import sensitivity as run_sensitivity
    from sim.experiments.sensitivity import sobol_note
    from sim.scenario import parse_assignment
    from sim.viz.plotting import plot_sensitivity, save_figure

    sc = read_scenario(scenario)
    setup = sc.sensitivity
    params = dict(parse_assignment(p) for p in param) if param else setup.parameters
    method, samples, kpi = method or setup.method, samples or setup.samples, kpi or setup.kpi
    check_kpi(kpi)
    reps = replications or sc.replications
    n_points, runs = sensitivity_steps(sc, params, method, samples, reps, seed, variant)
    note = sobol_note(method, samples)
    if note and not quiet:
        err_console.print(f"note: {note}", highlight=False)
    out = prepare_out(out, f"{sc.name}-sensitivity", force)
    bar, tick = progress(quiet, runs, f"{method}: {n_points} design points x {reps} replications")
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
    out: OutFolder = None,
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
    from sim.experiments.discovery import discover_steps
    from sim.scenario import parse_assignment
    from sim.viz.plotting import plot_discovery, save_figure

    sc = read_scenario(scenario)
    params = dict(parse_assignment(p) for p in param) if param else sc.sensitivity.parameters
    reps = replications or sc.replications
    out = prepare_out(out, f"{sc.name}-discover", force)
    bar, tick = progress(
        quiet, discover_steps(sc, samples, reps), f"discover: {samples} points x 2 arms x {reps} replications"
    )
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
