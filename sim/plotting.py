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
    thousands = matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}")
    ax.xaxis.set_major_formatter(thousands)
    ax.yaxis.set_major_formatter(thousands)
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
