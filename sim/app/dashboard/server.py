"""The dashboard's behaviour: read the levers into a scenario, send jobs to the worker, show what comes back.

Every job goes to :class:`~sim.app.dashboard.worker.Worker` as a Shiny
extended task, so the page stays live while it runs; outputs read the
tasks' results, and keep showing the last result while a new one computes.
"""

from __future__ import annotations

import html
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

from shiny import reactive, render, ui

from sim.app.dashboard import views
from sim.app.dashboard.controls import (
    SIZE,
    action_id,
    controls,
    current_value,
    excluded,
    input_id,
    read_settings,
    scheme_classes,
)
from sim.app.dashboard.jobs import Job
from sim.app.dashboard.worker import Cancelled, Worker
from sim.errors import UsageError
from sim.experiments.compare import fitd_arms
from sim.experiments.cost import seconds_needed
from sim.scenario import Scenario, ScenarioError
from sim.scenario.overrides import with_changes
from sim.scenario.plans import plan_changes

MAX_VARIANTS = 4
BASELINE = "baseline"


class Followed:
    """A task's last good result and the job that made it (kept while a new run computes or after a cancel),
    and its last problem."""

    def __init__(self, task: reactive.ExtendedTask) -> None:
        self.task = task
        self.job: reactive.Value[Job | None] = reactive.value(None)
        self.result: reactive.Value[Any] = reactive.value(None)
        self.problem: reactive.Value[str | None] = reactive.value(None)

        @reactive.effect
        def _follow() -> None:
            status = task.status()
            if status == "success":
                job, result = task.result()
                self.job.set(job)
                self.result.set(result)
                self.problem.set(None)
            elif status == "error":
                self.problem.set(_problem(task))
            elif status == "running":
                self.problem.set(None)

    def alert(self) -> Any:
        """The last problem as an alert box (None if the last job went well)."""
        text = self.problem.get()
        return None if text is None else ui.div(text, class_="alert alert-danger")

    def view(self, show: Callable[[Any], Any]) -> Any:
        """The last problem if there is one, else `show(result)`, else nothing (no result yet)."""
        result = self.result.get()
        return self.alert() or (None if result is None else show(result))


def _problem(task: reactive.ExtendedTask) -> str | None:
    """What went wrong in a failed task, in words a user can act on (None when the user cancelled it)."""
    try:
        task.result()
    except Cancelled:
        return None
    except BrokenProcessPool:
        return "the worker process stopped during this job (out of memory, or killed); run again to start a new one"
    except (ScenarioError, UsageError, ValueError) as exc:
        return str(exc)
    except Exception as exc:  # a bug: say so on the page rather than leave it blank
        return f"the job failed ({type(exc).__name__}: {exc}); please report it with the scenario TOML"
    return None


def follow(worker: Worker, button: str) -> Followed:
    """An extended task bound to `button` that sends a job to the worker (the page stays live while it runs)."""

    @ui.bind_task_button(button_id=button)
    @reactive.extended_task
    async def task(job: Job) -> tuple[Job, Any]:
        return job, await worker.submit(job)

    return Followed(task)


def _figure(fig: Any, caption: str) -> Any:
    """A figure as the report shows it: a PNG in the page, scaled to its card, with a caption."""
    from sim.viz.report import figure_html

    return ui.HTML(f"<div class='crmsim-figure'>{figure_html(fig, caption)}</div>")


_DRAWN: OrderedDict[tuple[str, str], Any] = OrderedDict()
MAX_DRAWN = 128  # figures of the latest runs, about 100 kB of PNG each


def drawn_once(name: str, job: Job, draw: Callable[[], Any]) -> Any:
    """`draw()` for the result of `job`, drawn once: returning to a setting shows its figures at once."""
    key = (name, job.key)
    if key not in _DRAWN:
        _DRAWN[key] = draw()
        while len(_DRAWN) > MAX_DRAWN:
            _DRAWN.popitem(last=False)
    return _DRAWN[key]


def _settings(input: Any, base: Scenario, plan: Any) -> Any:
    """A reactive (scenario or None, {field path: error}, {field path: changed value}) from the page's inputs."""
    paths = [c.path for c in controls(base) if not excluded(c.path)]

    @reactive.calc
    def settings() -> tuple[Scenario | None, dict[str, str], dict[str, Any]]:
        raw = {p: input[input_id(p)]() for p in paths}
        scheme = raw["portfolio_policy.scheme"]
        actions = {cls: input[action_id(scheme, cls)]() for cls in scheme_classes().get(scheme, {})}
        changes, problem = plan()
        sc, errors, made = read_settings(base, raw, actions, changes)
        return (None, {**errors, "": problem}, made) if problem else (sc, errors, made)

    return settings


def plan_files(folder: Path | None) -> list[str]:
    """The plan CSVs a user may pick: the names of the CSV files directly inside `folder` (none without one)."""
    if folder is None:
        return []
    return sorted(p.name for p in folder.iterdir() if p.suffix.lower() == ".csv" and p.is_file())


def _plan(input: Any, folder: Path | None) -> Any:
    """A reactive (spend changes, problem or None) from the uploaded plan, or the one picked from `folder`.

    Only a file the user uploaded, or one listed by :func:`plan_files`, is ever read: a name from the page
    is looked up in that list, so no path the page sends can reach another file.
    """

    @reactive.calc
    def plan() -> tuple[dict[str, Any], str | None]:
        source = plan_source(input.plan_upload(), input.plan_file() if folder is not None else "", folder)
        if source is None:
            return {}, None
        try:
            return plan_changes(*source), None
        except ValueError as exc:
            return {}, str(exc)

    return plan


def plan_source(uploaded: list[dict] | None, picked: str, folder: Path | None) -> tuple[Path, str] | None:
    """The plan file to read and the name to show for it: the upload, else a name listed in `folder`, else none."""
    if uploaded:
        return Path(uploaded[0]["datapath"]), Path(uploaded[0]["name"]).name
    if picked and picked in plan_files(folder):
        return folder / picked, picked
    return None


def _size_only(base: Scenario, changes: dict[str, Any]) -> Scenario:
    """The baseline at the current run size (customers, horizon, replications, seed)."""
    return with_changes(base, {p: v for p, v in changes.items() if p in SIZE})


def _what_if(changes: dict[str, Any]) -> dict[str, Any]:
    """The changes a variant keeps: everything but the run size, which every variant shares."""
    return {p: v for p, v in changes.items() if p not in SIZE}


def whatif_scenario(base: Scenario, changes: dict[str, Any], variants: dict[str, dict[str, Any]]) -> Scenario:
    """The current settings (what ``crmsim run`` runs), with the saved variants as its [compare] table.

    The baseline arm puts back the opened scenario's values of whatever the current settings change, so
    ``crmsim compare`` on the file compares what the dashboard compared.
    """
    sc = with_changes(base, changes)
    if not variants:
        return sc
    undo = {p: current_value(base, p) for p in _what_if(changes)}
    arms = {BASELINE: undo, **{name: {**undo, **v} for name, v in variants.items()}}
    return with_changes(sc, {"compare": {"baseline": BASELINE, "variants": arms}})


def server_for(base: Scenario, start: Scenario, worker: Worker, plans: Path | None = None) -> Any:
    """The Shiny server function of a dashboard opened on `base` (first run at `start`'s size; plans from `plans`)."""

    def server(input: Any, output: Any, session: Any) -> None:
        settings = _settings(input, base, _plan(input, plans))
        variants: reactive.Value[dict[str, dict[str, Any]]] = reactive.value({})
        buttons = ("run", "save_variant", "fitd", "optimize_portfolio", "optimize_migration")
        tasks = {name: follow(worker, name) for name in buttons}
        tasks["run"].task.invoke(Job("run", start))
        _show_errors(session, settings)
        _results(input, settings, tasks["run"])
        _progress(input, worker, tasks)
        _variants(input, base, settings, variants, tasks["save_variant"])
        _fitd(input, settings, tasks["fitd"])
        _optimizers(input, settings, tasks["optimize_portfolio"], tasks["optimize_migration"])
        _downloads(base, settings, variants, worker)

    return server


def _show_errors(session: Any, settings: Any) -> None:
    @reactive.effect
    async def _send() -> None:
        _, errors, _ = settings()
        await session.send_custom_message("crmsim-errors", {input_id(p): m for p, m in errors.items() if p})

    @render.ui
    def general_errors() -> Any:
        sc, errors, _ = settings()
        if sc is not None:
            return None
        listed = "".join(f"<li>{html.escape(m)}</li>" for m in errors.values())
        return ui.HTML(
            f"<div class='alert alert-danger py-1 px-2 small'>Not valid yet (see the fields):<ul>{listed}</ul></div>"
        )


NOT_VALID = "The settings are not valid: fix the fields marked in red first."


def _on_click(input: Any, button: str, settings: Any, f: Followed, job: Callable[[Scenario], Job]) -> None:
    """When `button` is clicked with valid settings, send the job made from them."""

    @reactive.effect
    @reactive.event(input[button])
    def _go() -> None:
        sc, _, _ = settings()
        if sc is None:
            ui.notification_show(NOT_VALID, type="error")
            return
        todo = job(sc)
        minutes = seconds_needed(sc, todo.steps, 1) / 60.0  # one replication a step, as the worker runs them
        if minutes > 1.0:
            ui.notification_show(f"This will take about {minutes:,.0f} minutes; Cancel stops it.", duration=10)
        f.task.invoke(todo)


def _results(input: Any, settings: Any, run: Followed) -> None:
    from sim.viz.plotting import plot_clv_distribution, plot_occupancy

    _on_click(input, "run", settings, run, lambda sc: Job("run", sc))

    @render.ui
    def run_caption() -> Any:
        return run.view(lambda res: ui.p(views.describe(res.scenario)))

    @render.ui
    def kpis() -> Any:
        res = run.result.get()
        return None if res is None else ui.HTML(views.kpi_table(res.summary()))

    def figure(name: str, plot: Callable[[Any], Any], caption: str) -> Any:
        """The last run's figure `name`, drawn once per run."""
        res, job = run.result.get(), run.job.get()
        return None if res is None else drawn_once(name, job, lambda: _figure(plot(res), caption))

    @render.ui
    def occupancy() -> Any:
        caption = "Share of customers per relationship stage and ladder rung over time."
        return figure("occupancy", lambda res: plot_occupancy(res.occupancy, res.lifetimes), caption)

    @render.ui
    def clv() -> Any:
        caption = "Distribution of customer lifetime value per segment."
        return figure("clv", lambda res: plot_clv_distribution(res.lifetimes), caption)


def _progress(input: Any, worker: Worker, tasks: dict[str, Followed]) -> None:
    @reactive.effect
    @reactive.event(input.cancel)
    def _cancel() -> None:
        worker.cancel()
        for f in tasks.values():
            f.task.cancel()

    @render.ui
    def progress() -> Any:
        running = [f.task.status() for f in tasks.values()].count("running")
        now = worker.progress()
        if not running or now is None:
            return None
        reactive.invalidate_later(0.25)
        kind, done, total = now
        if not total:
            return ui.div("waiting for the worker...", class_="crmsim-progress", id="progress-wait")
        bar = ui.tags.progress(value=str(done), max=str(total), style="width:100%")
        return ui.div(f"{kind}: {done} of {total} replications", bar, class_="crmsim-progress", id="progress-bar")


def _variants(input: Any, base: Scenario, settings: Any, variants: Any, compare: Followed) -> None:
    from sim.experiments import paired_differences
    from sim.viz.plotting import plot_comparison

    @reactive.effect
    @reactive.event(input.save_variant)
    def _save() -> None:
        sc, _, changes = settings()
        saved = dict(variants.get())
        name = (input.variant_name() or "").strip() or f"variant {len(saved) + 1}"
        if sc is None:
            ui.notification_show(NOT_VALID, type="error")
            return
        if name not in saved and len(saved) >= MAX_VARIANTS:
            ui.notification_show(f"Up to {MAX_VARIANTS} variants: clear them to start again.", type="warning")
            return
        saved[name] = _what_if(changes)
        variants.set(saved)
        compare.task.invoke(Job("compare", _size_only(base, changes), {"variants": {BASELINE: {}, **saved}}))

    @reactive.effect
    @reactive.event(input.clear_variants)
    def _clear() -> None:
        variants.set({})

    @render.ui
    def variants_list() -> Any:
        saved = variants.get()
        if not saved:
            return ui.p("No variants yet: move some levers, name the settings and save them as a variant (up to 4).")
        items = "".join(
            f"<li><b>{html.escape(n)}</b>: "
            f"{html.escape(', '.join(f'{p} = {v!r}' for p, v in ch.items()) or 'as the baseline')}</li>"
            for n, ch in saved.items()
        )
        return ui.HTML(f"<ul>{items}</ul>")

    @reactive.calc
    def diffs() -> Any:
        table = compare.result.get()
        return None if table is None else paired_differences(table, BASELINE)

    @render.ui
    def differences() -> Any:
        return compare.view(lambda _: ui.HTML(views.differences_table(diffs())))

    @render.ui
    def differences_plot() -> Any:
        d = diffs()
        if d is None or d.empty:
            return None
        return _figure(plot_comparison(d), "Paired differences of each variant against the baseline, 95% intervals.")


def _fitd(input: Any, settings: Any, fitd: Followed) -> None:
    _on_click(input, "fitd", settings, fitd, lambda sc: Job("compare", sc, {"variants": fitd_arms(sc)}))

    @render.ui
    def fitd_view() -> Any:
        return fitd.view(lambda table: _fitd_table(table, fitd.job.get()))


def _fitd_table(table: Any, job: Job) -> Any:
    """FITD against all-at-once, with the effort both arms had and the caveat on the verdict."""
    from sim.experiments import paired_differences

    offer = job.scenario.account_growth.foot_in_the_door  # the settings this table was run at
    note = (
        f"Equal effort: both arms make offers at FITD's offer rate ({offer.offer_rate:g} a month) and cost per "
        f"offer ({offer.offer_cost:g}), so the difference is the strategy's, not the contact rate's."
    )
    caveat = (
        "The verdict hinges on how much a larger request deters acceptance, "
        f"account_growth.foot_in_the_door.size_effect ({offer.size_effect:g} here; a judgement call no source "
        "gives: README, The research question). Set it from your own offer data in the Advanced tab before acting."
    )
    return ui.div(
        ui.p(note),
        ui.p(caveat, class_="crmsim-note"),
        ui.HTML(views.differences_table(paired_differences(table, "foot_in_the_door"))),
    )


def _optimizers(input: Any, settings: Any, portfolio: Followed, migration: Followed) -> None:
    from sim.viz.plotting import plot_frontier, plot_spend_plan

    _on_click(
        input,
        "optimize_portfolio",
        settings,
        portfolio,
        lambda sc: Job("portfolio", sc, {"capacity": float(input.capacity() or 0.0)}),
    )
    _on_click(
        input,
        "optimize_migration",
        settings,
        migration,
        lambda sc: Job("migration", sc, {"budget": float(input.budget() or 0.0)}),
    )

    @render.ui
    def portfolio_view() -> Any:
        return portfolio.view(
            lambda got: ui.HTML(
                views.notes(got.notes)
                + views.holdings_table(got.plan, got.scenario)
                + views.loop_table(got.comparison, "closed loop: the chosen portfolio played on fresh seeds")
            )
        )

    @render.ui
    def frontier() -> Any:
        got = portfolio.result.get()
        return None if got is None else _figure(plot_frontier(got.frontier), "Efficient frontier of segment mixes.")

    @render.ui
    def migration_view() -> Any:
        caption = "closed loop: the plan played on fresh seeds"
        return migration.view(lambda got: ui.HTML(views.notes(got.notes) + views.loop_table(got.comparison, caption)))

    @render.ui
    def spend_plan() -> Any:
        got = migration.result.get()
        return None if got is None else _figure(plot_spend_plan(got.plan), "Migration spend per rung.")


def _downloads(base: Scenario, settings: Any, variants: Any, worker: Worker) -> None:
    def current() -> Scenario:
        sc, errors, changes = settings()
        if sc is None:
            raise ScenarioError("the settings are not valid: " + "; ".join(errors.values()))
        return whatif_scenario(base, changes, variants.get())

    @render.download(filename=lambda: f"{base.name}-whatif.toml", media_type="application/toml")
    def download_toml() -> Any:
        from sim.scenario.template import scenario_toml

        yield scenario_toml(current(), header="Scenario saved from the crmsim dashboard; crmsim run accepts it.")

    @render.download(filename=lambda: f"{base.name}-report.html", media_type="text/html")
    async def download_report() -> Any:
        yield await worker.submit(Job("report", current()))
