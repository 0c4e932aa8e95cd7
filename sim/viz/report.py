"""A self-contained HTML report of a scenario: plots embedded, key tables, the scenario run, seeds and versions.

One file a planner can attach to an email: no external files, fonts, scripts
or network access.  A small inline script records how many images loaded
(``data-images-loaded`` on ``<body>``), which the tests read in a browser.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import platform
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from sim.results.kpis import kpi_label
from sim.results.tables import Results
from sim.scenario import Scenario
from sim.viz import plotting as pl

PACKAGES = ("crmsim", "numpy", "scipy", "simpy", "pandas", "cvxpy", "matplotlib", "pydantic")

CSS = """
body { font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; max-width: 1100px; margin: 2em auto;
       color: #222; padding: 0 1em; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #0072B2; padding-bottom: 0.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.92em; }
th, td { padding: 0.3em 0.8em; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; } figcaption { color: #555; font-size: 0.9em; }
pre { background: #f6f6f6; padding: 1em; overflow-x: auto; font-size: 0.8em; }
.meta { color: #555; } .better { color: #009E73; font-weight: bold; } .worse { color: #D55E00; font-weight: bold; }
"""

SCRIPT = """
window.addEventListener('load', function () {
  var imgs = document.images, ok = 0;
  for (var i = 0; i < imgs.length; i++) { if (imgs[i].complete && imgs[i].naturalWidth > 0) { ok++; } }
  document.body.setAttribute('data-images-loaded', ok);
  document.body.setAttribute('data-images-total', imgs.length);
});
"""


def figure_html(fig: Figure, caption: str, name: str = "", folder: Path | None = None) -> str:
    """The figure embedded in the page; with a `folder`, also written there as NAME.png and NAME.svg for decks."""
    if folder is not None and name:
        for fmt in ("png", "svg"):
            fig.savefig(folder / f"{name}.{fmt}", dpi=150, bbox_inches="tight")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    pl.plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    alt = html.escape(caption)
    return f'<figure><img alt="{alt}" src="data:image/png;base64,{data}"><figcaption>{alt}</figcaption></figure>'


def _number(v: float) -> str:
    """A number for a report table, precise enough that 24.8 and 25.3 do not both print as 25."""
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return f"{v:,.1f}" if abs(v) >= 10 else f"{v:,.3f}"


def _table(df: pd.DataFrame) -> str:
    """A table for the page; an undefined value shows as '-' with a note under the table."""
    text = df.to_html(
        index=False,
        border=0,
        float_format=_number,
        na_rep="-",
        escape=True,
    )
    if df.select_dtypes("number").isna().any(axis=None):
        text += '<p class="meta">-: not defined in these runs (e.g. time to commitment when nobody reached it).</p>'
    return text


def versions() -> dict[str, str]:
    """Versions of Python and the packages a result depends on."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


@dataclass
class Report:
    """A report's runs and its page: the scenario's replications, its paired comparison (if any), the HTML."""

    results: Results
    comparison: tuple[pd.DataFrame, pd.DataFrame] | None  # (comparison table, paired differences)
    scenario_text: str  # the scenario as run, as TOML
    html: str


def report_steps(scenario: Scenario) -> int:
    """Replications a report runs in all (the progress bar's length): the scenario's, then each variant's."""
    from sim.experiments import compare_steps

    return scenario.replications + (compare_steps(scenario) if scenario.compare.variants else 0)


def make_report(
    scenario: Scenario,
    header: str,
    source: str,
    figures: Path | None = None,
    n_jobs: int | None = None,
    progress: Callable[[int], None] | None = None,
    record: str | None = None,
) -> Report:
    """Simulate a scenario (and compare its variants, if it has any) and build its report: ``crmsim report``.

    `header` heads the scenario TOML the page reproduces; `record` overrides what the replications keep.
    """
    from sim.experiments import compare, paired_differences, run
    from sim.scenario.template import scenario_toml

    results = run(scenario.with_overrides(record=record) if record else scenario, progress=progress)
    comparison = None
    if scenario.compare.variants:
        table = compare(scenario, n_jobs=n_jobs, progress=progress)
        comparison = (table, paired_differences(table, scenario.compare.baseline or None))
    text = scenario_toml(scenario, header=header)
    page = build_report(scenario, results, text, comparison, figures=figures, source=source)
    return Report(results, comparison, text, page)


def build_report(
    scenario: Scenario,
    results: Results,
    scenario_text: str,
    comparison: tuple[pd.DataFrame, pd.DataFrame] | None = None,
    progress: Callable[[str], None] | None = None,
    figures: Path | None = None,
    source: str = "SCENARIO",
) -> str:
    """The report as one HTML string (and, with `figures`, each plot as PNG and SVG files in that folder).

    `source` is the scenario file the report was made from, for the page's "Reproduce" line.
    """
    step = progress or (lambda _msg: None)
    parts = _header(scenario, results)
    step("plotting occupancy")
    parts += [
        "<h2>Relationship stages and the loyalty ladder</h2>",
        figure_html(
            pl.plot_occupancy(results.occupancy, results.lifetimes),
            "Share of customers per stage and rung over time (mean over replications).",
            "occupancy",
            figures,
        ),
    ]
    if results.customers is not None:
        step("plotting migration and portfolio")
        parts += _customer_plots(results, figures)
    if comparison is not None:
        step("plotting the comparison")
        parts += _comparison(*comparison, figures)
    parts += _reproduce(scenario, len(results.replications), scenario_text, source)
    body = "\n".join(p for p in parts if p)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>crmsim report: {html.escape(scenario.name)}</title>"
        f"<style>{CSS}</style></head><body>\n{body}\n<script>{SCRIPT}</script></body></html>"
    )


def _header(sc: Scenario, results: Results) -> list[str]:
    """Title, what was run, and the key figures."""
    lifetime = sc.valuation.residual != "none"
    return [
        f"<h1>{html.escape(sc.name)}</h1>",
        f"<p>{html.escape(sc.description)}</p>" if sc.description else "",
        f'<p class="meta">{sc.population.customers:,} customers, {sc.horizon_months} months, '
        f"{len(results.replications)} replications, root seed {sc.seed}; strategy: {sc.strategy.posture} posture, "
        f"{sc.strategy.account_growth.replace('_', ' ')} growth, "
        f"{sc.strategy.offering} offering; generated {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}.</p>",
        "<h2>Key figures</h2><p>Means over replications with 95% t-intervals. Revenue, costs and profit are "
        "undiscounted sums over the horizon; customer equity and CLV are discounted at the scenario's rate"
        + (
            ", and count what customers bring after the horizon ([valuation] residual)"
            if lifetime
            else ', to the horizon only ([valuation] residual = "none")'
        )
        + ".</p>",
        _table(
            results.summary()
            .assign(kpi=lambda d: d.kpi.map(lambda k: kpi_label(k, lifetime)))
            .rename(columns={"kpi": "KPI"})
        ),
    ]


def _customer_plots(results: Results, figures: Path | None = None) -> list[str]:
    """Migration matrix, CLV distribution and the portfolio quadrants (they need the customer-month table)."""
    summary = pl.customer_summary(results)
    return [
        figure_html(
            pl.plot_migration_matrix(results.customers),
            "Monthly moves between rungs, estimated from every customer-month.",
            "migration_matrix",
            figures,
        ),
        "<h2>Customer value and portfolio</h2>",
        figure_html(
            pl.plot_clv_distribution(results.lifetimes),
            "Distribution of customer lifetime value (discounted margin) by segment.",
            "clv_distribution",
            figures,
        ),
        figure_html(
            pl.plot_portfolio_quadrants(summary, "loyalty_effort"),
            "Loyalty by management effort (CR lecture notes).",
            "quadrants_loyalty_effort",
            figures,
        ),
        figure_html(
            pl.plot_portfolio_quadrants(summary, "profitability_loyalty"),
            "Profitability by loyalty (PRM notes).",
            "quadrants_profitability_loyalty",
            figures,
        ),
    ]


def _comparison(table: pd.DataFrame, diff: pd.DataFrame, figures: Path | None = None) -> list[str]:
    """The paired differences of the scenario's variants, as a table and a plot."""
    shown = diff[["variant", "kpi", "baseline_mean", "variant_mean", "difference", "ci_low", "ci_high", "verdict"]]
    return [
        f"<h2>Strategy comparison</h2><p>Paired differences from <b>{html.escape(diff.baseline.iloc[0])}</b> over "
        f"{table.replication.nunique()} replications with common random numbers.</p>",
        _table(shown),
        figure_html(pl.plot_comparison(diff), "Paired differences with 95% intervals.", "comparison", figures),
    ]


def _reproduce(sc: Scenario, replications: int, scenario_text: str, source: str = "SCENARIO") -> list[str]:
    """How to run it again: command, seeds, package versions and the scenario as run."""
    v = versions()
    return [
        "<h2>Reproduce</h2>",
        f"<p>Run with <code>crmsim report {html.escape(source)} --replications {replications} --seed {sc.seed}</code>. "
        "Replication r uses SeedSequence(seed, spawn_key=(r, ...)).</p>",
        _table(pd.DataFrame({"package": list(v), "version": list(v.values())})),
        "<h3>Scenario as run</h3>",
        f"<pre>{html.escape(scenario_text)}</pre>",
    ]


def write_report(path: Path, text: str) -> Path:
    """Write the report (UTF-8) and return its path."""
    path.write_text(text, encoding="utf-8")
    return path
