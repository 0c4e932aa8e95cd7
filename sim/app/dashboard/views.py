"""The dashboard's tables as HTML: KPI means, paired differences and closed-loop checks, each with its 95% interval.

Pure functions of the engine's tidy tables, so what the page shows is what
the command line prints (the same numbers, formatted the same way).
"""

from __future__ import annotations

import html
from typing import Any

import pandas as pd

from sim.app.console import UNDEFINED_NOTE, fmt
from sim.results.kpis import HEADLINE, KPIS
from sim.scenario import Scenario


def _interval(low: float, high: float, n: int = 2) -> str:
    return "-" if n < 2 or low != low else f"{fmt(low)} .. {fmt(high)}"


def html_table(rows: list[dict[str, Any]], caption: str = "", klass: str = "") -> str:
    """Rows of already formatted cells as an HTML table (first column left, the rest right-aligned)."""
    if not rows:
        return "<p>Nothing to show.</p>"
    head = "".join(f"<th>{html.escape(str(k))}</th>" for k in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row.values()) + "</tr>" for row in rows)
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    table = f'<table class="table table-sm crmsim-table {klass}">'
    return f"{table}{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def kpi_table(summary: pd.DataFrame) -> str:
    """KPI means with 95% intervals over replications, and what each KPI means (from the KPI registry).

    The headline KPIs (profit, customer equity, retention, share of wallet...) come first, the rest after.
    """
    order = {k: i for i, k in enumerate(HEADLINE)}
    summary = summary.sort_values("kpi", key=lambda s: s.map(lambda k: order.get(k, len(order))), kind="stable")
    rows = [
        {
            "KPI": r.kpi.replace("_", " "),  # how its money is counted: in "what it is", beside it
            "mean": fmt(r.mean),
            "95% interval": _interval(r.ci_low, r.ci_high, r.replications),
            "what it is": KPIS[r.kpi].description if r.kpi in KPIS else "",
        }
        for r in summary.itertuples()
    ]
    caption = UNDEFINED_NOTE if summary["mean"].isna().any() else ""
    return html_table(rows, caption, "kpis")


def differences_table(diff: pd.DataFrame) -> str:
    """Each variant minus the baseline per KPI, paired by replication, with its 95% interval and verdict."""
    if diff.empty:
        return html_table([])
    baseline = diff.baseline.iloc[0] if diff.baseline.nunique() == 1 else "baseline"  # its name heads the column
    rows = [
        {
            "variant": r.variant,
            "KPI": r.kpi.replace("_", " "),
            baseline: fmt(r.baseline_mean),
            "variant mean": fmt(r.variant_mean),
            "difference": fmt(r.difference),
            "95% interval": _interval(r.ci_low, r.ci_high, r.replications),
            "verdict": r.verdict,
        }
        for r in diff.itertuples()
    ]
    return html_table(rows, "paired on common random numbers: every variant meets the same customers and draws")


def loop_table(comparison: pd.DataFrame, caption: str) -> str:
    """Predicted and simulated quantities of an optimizer's closed loop, with 95% intervals."""
    rows = [
        {"quantity": r.quantity, "mean": fmt(r.mean), "95% interval": _interval(r.ci_low, r.ci_high)}
        for r in comparison.itertuples()
    ]
    return html_table(rows, caption)


def holdings_table(plan: pd.DataFrame, chosen: Scenario) -> str:
    """The chosen portfolio: the share of each segment served (`chosen` serves it), its capacity and value."""
    served = {s.name: s.served for s in chosen.segments}
    rows = [
        {
            "segment": r.asset,
            "share served": f"{served[r.asset]:.0%}",
            "capacity used": fmt(r.resource),
            "expected value": fmt(r.expected_value),
        }
        for r in plan.itertuples()
    ]
    return html_table(
        rows, "holdings of the chosen portfolio (portfolio.csv of crmsim optimize portfolio has them all)"
    )


def describe(sc: Scenario) -> str:
    """One line saying what was simulated."""
    s = sc.strategy
    return (
        f"{sc.name}: {sc.population.customers:,} customers, {sc.horizon_months} months, "
        f"{sc.replications} replications, seed {sc.seed}; {s.posture}, {s.account_growth.replace('_', ' ')}, "
        f"{s.offering} offering, portfolio {sc.portfolio_policy.scheme}"
    )


def notes(lines: list[str]) -> str:
    """An optimizer's notes as a list."""
    return "".join(f"<p class='crmsim-note'>note: {html.escape(n)}</p>" for n in lines)
