"""`crmsim report` and `dashboard`: what a planner takes away, and the what-if page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import typer.core

from sim.app.cli.options import MAX_COUNT, ForceOut, OutFolder, ScenarioSeed, read_scenario, with_runs
from sim.app.cli.root import app
from sim.app.console import (
    out_console,
    progress,
)
from sim.app.outputs import (
    final,
    prepare_out,
    write_tables,
)
from sim.scenario import Scenario
from sim.version import __version__


@app.command()
def report(
    scenario: Annotated[Path, typer.Argument(help="Scenario TOML file.")],
    replications: Annotated[
        int | None,
        typer.Option("--replications", "-r", help="Replications (default: the scenario's).", min=2, max=MAX_COUNT),
    ] = None,
    seed: ScenarioSeed = None,
    out: OutFolder = None,
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
    from sim.viz.report import make_report, report_steps, write_report

    sc = with_runs(scenario, replications, seed)
    out = prepare_out(out, f"{sc.name}-report", force)
    bar, tick = progress(quiet, report_steps(sc), f"simulating {sc.name}")
    header = f"Scenario as run by crmsim {__version__}."
    with bar:
        made = make_report(sc, header, str(scenario), figures=out, n_jobs=jobs, progress=tick)
    res, comparison, text = made.results, made.comparison, made.scenario_text
    path = write_report(out / "report.html", made.html)
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
    port: Annotated[int, typer.Option("--port", help="Port to serve on.", min=1, max=65535)] = 8000,
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

    serve(read_scenario(scenario) if scenario is not None else Scenario(), host, port, plans)
