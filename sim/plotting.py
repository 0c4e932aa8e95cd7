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
