"""The dashboard's layout: levers in the sidebar, one tab per question (results, what-ifs, optimizers, advanced).

Every control comes from :mod:`sim.app.dashboard.controls`, so the page
follows the scenario schema; this module only places them.
"""

from __future__ import annotations

from typing import Any

from shiny import ui

from sim.app.dashboard.controls import (
    STRATEGY,
    Control,
    action_choices,
    action_id,
    current_value,
    input_id,
    levers,
    scheme_classes,
)
from sim.scenario import Scenario

CSS = """
.crmsim-error { color: #b00020; font-size: .85em; min-height: 0; }
.crmsim-help { color: #6c757d; font-size: .78em; display: block; margin-top: -.6em; margin-bottom: .6em; }
.crmsim-table td:not(:first-child), .crmsim-table th:not(:first-child) { text-align: right; white-space: nowrap; }
.crmsim-table.kpis td:last-child, .crmsim-table.kpis th:last-child {
  text-align: left; color: #555; font-size: .85em; white-space: normal; }
.crmsim-table.kpis { table-layout: auto; width: 100%; }
.crmsim-table.kpis td:first-child { min-width: 8em; }
.crmsim-table caption { caption-side: bottom; font-size: .85em; }
.crmsim-note { color: #7a4f01; font-size: .9em; margin: .2em 0; }
.crmsim-progress { font-size: .85em; }
.crmsim-figure img { max-width: 100%; height: auto; }
.crmsim-figure figcaption { font-size: .85em; color: #555; }
.sidebar .shiny-input-container { margin-bottom: .4rem; }
"""

#: A page icon inline, so the browser asks the server for no favicon.ico (a 404 in its console otherwise).
FAVICON = (
    "data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'>"
    "<rect width='16' height='16' fill='%230072B2'/></svg>"
)

#: Field errors arrive as one message ({input id: text}); each lands in the box under its control.
SCRIPT = """
Shiny.addCustomMessageHandler("crmsim-errors", function (errors) {
  document.querySelectorAll(".crmsim-error").forEach(function (el) { el.textContent = ""; });
  Object.entries(errors).forEach(function ([id, text]) {
    var el = document.getElementById("err-" + id);
    if (el) { el.textContent = text; }
  });
});
"""


def widget(c: Control, value: Any) -> Any:
    """One control with its help text (the schema's description) and the box its error appears in."""
    shown = c.shown(value)
    if c.kind == "choice":
        w = ui.input_select(c.id, c.label, list(c.choices), selected=shown)
    elif c.kind == "switch":
        w = ui.input_checkbox(c.id, c.label, bool(shown))
    elif c.kind in ("number", "integer"):
        step = 1 if c.kind == "integer" else "any"  # HTML's "any": a decimal is a valid value, not a step mismatch
        w = ui.input_numeric(c.id, c.label, shown, min=c.low, max=c.high, step=step, update_on="blur")
    else:
        w = ui.input_text(c.id, c.label, str(shown), update_on="blur")
    return ui.div(
        w,
        ui.tags.span(c.help, class_="crmsim-help"),
        ui.div(id=f"err-{c.id}", class_="crmsim-error"),
        title=c.path,
    )


def _actions(scenario: Scenario) -> list[Any]:
    """Each portfolio scheme's classes with the action the review takes on them (shown for the scheme chosen)."""
    given = scenario.portfolio_policy.actions
    out = []
    for scheme, classes in scheme_classes().items():
        selects = [
            ui.input_select(
                action_id(scheme, cls), cls.replace("_", " "), list(action_choices()), selected=given.get(cls, default)
            )
            for cls, default in classes.items()
        ]
        cond = f"input.{input_id('portfolio_policy.scheme')} === '{scheme}'"
        out.append(ui.panel_conditional(cond, ui.tags.small("action per class at each review"), *selects))
    return out


def sidebar(scenario: Scenario, start: Scenario) -> Any:
    """Strategy levers, segment mix, run size, and the run, variant and download buttons."""
    main, segments, _ = levers(scenario)
    strategy = [widget(c, current_value(start, c.path)) for c in main[: len(STRATEGY)]]
    size = [widget(c, current_value(start, c.path)) for c in main[len(STRATEGY) :]]
    mix = []
    for i, seg in enumerate(scenario.segments):
        these = [c for c in segments if c.path.startswith(f"segments[{i}].")]
        mix += [ui.tags.b(f"segment {seg.name}"), *[widget(c, current_value(start, c.path)) for c in these]]
    return ui.sidebar(
        ui.output_ui("general_errors"),
        ui.input_task_button("run", "Run", label_busy="Running..."),
        ui.input_action_button("cancel", "Cancel", class_="btn-outline-secondary btn-sm"),
        ui.output_ui("progress"),
        ui.accordion(
            ui.accordion_panel("Strategy", *strategy, *_actions(scenario)),
            ui.accordion_panel("Segments: mix and sizes", *mix),
            ui.accordion_panel("Customers, horizon and replications", *size),
            ui.accordion_panel(
                "What-if variants",
                ui.input_text("variant_name", "name of the variant", placeholder="e.g. collaborative"),
                ui.input_task_button(
                    "save_variant", "Save current settings as a variant", label_busy="Comparing...", class_="btn-sm"
                ),
                ui.input_action_button("clear_variants", "Clear variants", class_="btn-outline-secondary btn-sm"),
            ),
            ui.accordion_panel(
                "Take it away",
                ui.download_button("download_toml", "Scenario TOML", class_="btn-sm"),
                ui.download_button("download_report", "HTML report", class_="btn-sm"),
            ),
            id="levers",
            open=["Strategy", "Customers, horizon and replications"],
        ),
        width=360,
    )


def _results_tab() -> Any:
    return ui.nav_panel(
        "Results",
        ui.output_ui("run_caption"),
        ui.layout_columns(
            ui.card(ui.card_header("KPIs with 95% intervals"), ui.output_ui("kpis")),
            ui.card(ui.card_header("Customer lifetime value"), ui.output_ui("clv")),
            col_widths=(7, 5),
        ),
        ui.card(
            ui.card_header("Who is where: relationship stages and loyalty-ladder rungs"),
            ui.output_ui("occupancy"),
        ),
    )


def _whatif_tab() -> Any:
    return ui.nav_panel(
        "What-if variants",
        ui.card(
            ui.card_header("Variants against the baseline (the scenario as opened, at the current size)"),
            ui.output_ui("variants_list"),
            ui.output_ui("differences"),
            ui.output_ui("differences_plot"),
        ),
        ui.card(
            ui.card_header("Foot-in-the-door or all-at-once?"),
            ui.input_task_button("fitd", "Compare FITD with all-at-once at equal effort", class_="btn-sm"),
            ui.output_ui("fitd_view"),
        ),
    )


def _optimize_tab(plans: list[str]) -> Any:
    portfolio = ui.card(
        ui.card_header("Efficient portfolio of segments (needs two or more segments)"),
        ui.input_numeric(
            "capacity", "capacity (share of the cost to serve everyone)", 0.5, min=0.0001, max=1.0, step="any"
        ),
        ui.input_task_button("optimize_portfolio", "Choose the portfolio", class_="btn-sm"),
        ui.output_ui("portfolio_view"),
        ui.output_ui("frontier"),
    )
    migration = ui.card(
        ui.card_header("Migration investments"),
        ui.input_numeric("budget", "migration budget per month (currency)", 5000.0, min=0.0, step=500.0),
        ui.input_task_button("optimize_migration", "Plan the spend", class_="btn-sm"),
        ui.output_ui("migration_view"),
        ui.output_ui("spend_plan"),
    )
    plan = [ui.input_file("plan_upload", "play a plan (plan.csv from crmsim optimize migration)", accept=[".csv"])]
    if plans:
        plan.append(ui.input_select("plan_file", "or a plan from the --plans folder", ["", *plans]))
    played = ui.card(ui.card_header("Spend plan in force"), *plan)
    return ui.nav_panel("Optimizers", ui.layout_columns(portfolio, migration, played, col_widths=(6, 6, 12)))


def _advanced_tab(scenario: Scenario, start: Scenario) -> Any:
    """Every other field of the scenario, one panel per table, generated from the schema."""
    _, _, rest = levers(scenario)
    groups: dict[str, list[Control]] = {}
    for c in rest:
        groups.setdefault(c.path.split(".")[0] if "." in c.path else "general", []).append(c)
    panels = [
        ui.accordion_panel(
            name.replace("_", " "),
            ui.layout_column_wrap(*[widget(c, current_value(start, c.path)) for c in cs], width="280px"),
        )
        for name, cs in groups.items()
    ]
    return ui.nav_panel(
        "Advanced",
        ui.p(
            "Every other parameter of the scenario, with its description from the scenario schema. "
            "Changes take effect at the next run."
        ),
        ui.accordion(*panels, id="advanced", open=False),
    )


def layout(scenario: Scenario, start: Scenario, plans: list[str] = ()) -> Any:
    """The whole page (`plans`: the plan files offered from the --plans folder)."""
    return ui.page_sidebar(
        sidebar(scenario, start),
        ui.head_content(ui.tags.style(CSS), ui.tags.link(rel="icon", href=FAVICON)),
        ui.navset_card_tab(
            _results_tab(), _whatif_tab(), _optimize_tab(plans), _advanced_tab(scenario, start), id="tabs"
        ),
        ui.tags.script(SCRIPT),
        title="crmsim: what-if dashboard",
        fillable=False,
    )
