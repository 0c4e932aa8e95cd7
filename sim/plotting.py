"""Plots of results tables: free functions that take tables (and an optional Axes) and return the figure."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # files, not windows: the CLI and tests run headless

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.stages import RUNGS, STAGES

NUMBER = matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}")

# Okabe-Ito: distinguishable under the common colour-vision deficiencies.
STAGE_COLOURS = ["#56B4E9", "#E69F00", "#009E73", "#0072B2", "#999999"]


def _shares(occupancy: pd.DataFrame, dimension: str, order: list[str]) -> pd.DataFrame:
    """Mean share of customers in each state per period, over replications (columns in `order`)."""
    d = occupancy[occupancy["dimension"] == dimension]
    counts = d.pivot_table(index=["replication", "period"], columns="state", values="customers", observed=True)
    counts = counts.reindex(columns=order, fill_value=0)
    shares = counts.div(counts.sum(axis=1), axis=0)
    return shares.groupby(level="period").mean()


def plot_stage_occupancy(occupancy: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Stacked areas: share of customers in each relationship stage per month (mean over replications)."""
    fig, ax = _axes(ax)
    s = _shares(occupancy, "stage", STAGES)
    ax.stackplot(s.index, s.T.to_numpy(), labels=[n.capitalize() for n in STAGES], colors=STAGE_COLOURS, alpha=0.9)
    _finish(ax, "Relationship stages over time", "Share of customers")
    return fig


def plot_rung_occupancy(occupancy: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Stacked areas: share of customers in a relationship (prospects included) on each rung per month."""
    fig, ax = _axes(ax)
    s = _shares(occupancy, "active_rung", RUNGS)
    colours = plt.get_cmap("cividis")(np.linspace(0.0, 1.0, len(RUNGS)))
    labels = [f"{k + 1} {n.replace('_', ' ')}" for k, n in enumerate(RUNGS)]
    ax.stackplot(s.index, s.T.to_numpy(), labels=labels, colors=colours, alpha=0.95)
    _finish(ax, "Loyalty ladder over time (not dissolved)", "Share of customers")
    return fig


def plot_occupancy(occupancy: pd.DataFrame) -> Figure:
    """Stage and rung occupancy side by side, the figure `crmsim run` saves."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(13, 4.8), constrained_layout=True)
    plot_stage_occupancy(occupancy, ax=a)
    plot_rung_occupancy(occupancy, ax=b)
    return fig


def _axes(ax: Axes | None) -> tuple[Figure, Axes]:
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4.8), constrained_layout=True)
        return fig, ax
    return ax.figure, ax


def _finish(ax: Axes, title: str, ylabel: str) -> None:
    ax.set_title(title)
    ax.set_xlabel("Month")
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1)
    ax.margins(x=0)
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.legend(loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False, fontsize="small")


def plot_frontier(frontier: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Efficient frontier (expected value against standard deviation) with the chosen portfolio marked."""
    fig, ax = _axes(ax)
    f = frontier.sort_values("std")
    ax.plot(f["std"], f["expected_value"], "-o", color="#0072B2", markersize=3, label="Efficient frontier")
    if "chosen" in f and f["chosen"].any():
        c = f[f["chosen"]].iloc[0]
        ax.plot(c["std"], c["expected_value"], "*", color="#D55E00", markersize=16, label="Chosen portfolio")
        ax.annotate(
            f"risk aversion {c['gamma']:.3g}  ", (c["std"], c["expected_value"]), ha="right", va="bottom", fontsize="small"
        )
    ax.set_title("Efficient customer portfolio")
    ax.set_xlabel("Standard deviation of discounted value")
    ax.set_ylabel("Expected discounted value")
    ax.xaxis.set_major_formatter(NUMBER)
    ax.yaxis.set_major_formatter(NUMBER)
    ax.legend(frameon=False, loc="lower right")
    ax.grid(alpha=0.3)
    return fig


def plot_spend_plan(plan: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Monthly migration spend per customer on each rung, with the chance it moves a customer up."""
    fig, ax = _axes(ax)
    labels = [f"{int(r)} {RUNGS[int(r) - 1].replace('_', ' ')}" for r in plan["rung"]]
    bars = ax.bar(labels, plan["spend_per_customer"], color="#009E73")
    for bar, p in zip(bars, plan["move_probability"]):
        ax.annotate(f"{p:.1%}", (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center", va="bottom", fontsize="small")
    ax.set_title("Migration spend plan (label: monthly chance of moving up)")
    ax.set_xlabel("Rung")
    ax.set_ylabel("Spend per customer per month")
    ax.tick_params(axis="x", rotation=30)
    return fig


def plot_comparison(differences: pd.DataFrame, kpis: list[str] | None = None) -> Figure:
    """Paired differences of each variant against the baseline, one panel per KPI, with 95% intervals."""
    kpis = kpis or list(dict.fromkeys(differences["kpi"]))
    cols = min(4, len(kpis))
    rows = -(-len(kpis) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.2 + 1.0 * rows * max(1, differences["variant"].nunique())), squeeze=False, constrained_layout=True)
    base = differences["baseline"].iloc[0]
    for ax, kpi in zip(axes.flat, kpis):
        d = differences[differences["kpi"] == kpi].reset_index(drop=True)
        y = np.arange(len(d))
        palette = {"better": "#009E73", "worse": "#D55E00", "higher": "#0072B2", "lower": "#0072B2"}
        colours = [palette.get(v, "#999999") for v in d["verdict"]]
        for k, row in d.iterrows():
            err = [[row["difference"] - row["ci_low"]], [row["ci_high"] - row["difference"]]]
            ax.errorbar(row["difference"], k, xerr=err, fmt="o", color=colours[k], capsize=4)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_yticks(y, d["variant"])
        ax.set_ylim(-0.7, len(d) - 0.3)
        ax.set_title(kpi.replace("_", " "))
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(4))
        ax.xaxis.set_major_formatter(NUMBER)
    for ax in list(axes.flat)[len(kpis):]:
        ax.set_visible(False)
    fig.suptitle(f"Difference from {base} (paired, 95% interval; green: better, orange: worse)")
    return fig


def plot_sweep(summary: pd.DataFrame, value: str, x: str, y: str | None = None, ax: Axes | None = None) -> Figure:
    """A sweep as a heatmap over two parameters, or a line with its interval over one.

    `summary` has one row per point with columns x (and y), `value`, and
    optionally ``ci_low``/``ci_high`` and ``significant``.
    """
    fig, ax = _axes(ax)
    if y is None:
        s = summary.sort_values(x)
        ax.plot(s[x], s[value], "-o", color="#0072B2")
        if {"ci_low", "ci_high"} <= set(s.columns):
            ax.fill_between(s[x], s["ci_low"], s["ci_high"], color="#0072B2", alpha=0.2, label="95% interval")
            ax.legend(frameon=False)
        ax.axhline(0, color="black", linewidth=0.8)
        ax.set_xlabel(x)
        ax.set_ylabel(value.replace("_", " "))
        return fig
    grid = summary.pivot_table(index=y, columns=x, values=value)
    lim = float(np.nanmax(np.abs(grid.to_numpy()))) or 1.0
    im = ax.imshow(grid.to_numpy(), origin="lower", cmap="PuOr", vmin=-lim, vmax=lim, aspect="auto")
    ax.set_xticks(range(grid.shape[1]), [f"{v:g}" for v in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [f"{v:g}" for v in grid.index])
    sig = summary.pivot_table(index=y, columns=x, values="significant") if "significant" in summary else None
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            mark = "" if sig is None or sig.iloc[i, j] else " (ns)"
            v = grid.iloc[i, j]
            ink = "white" if abs(v) > 0.6 * lim else "black"  # legible on dark cells
            ax.text(j, i, f"{NUMBER(v)}{mark}", ha="center", va="center", fontsize="small", color=ink)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    fig.colorbar(im, ax=ax, label=value.replace("_", " "), format=NUMBER)
    return fig
