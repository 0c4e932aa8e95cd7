"""Plots of results tables: free functions that take tables (and an optional Axes) and return the figure.

Every figure uses the shipped style (``sim/viz/crmsim.mplstyle``: slide-size
fonts, the colour-blind-safe Okabe-Ito palette); :func:`save_figure` writes
PNG and SVG.
"""

from __future__ import annotations

import functools
import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files, not windows: the CLI and tests run headless

import matplotlib.patches
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.errors import UsageError
from sim.stages import RUNGS, STAGES

STYLE = str(Path(__file__).with_name("crmsim.mplstyle"))


def styled(fn):
    """Draw `fn`'s figure in crmsim's style."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with plt.style.context(STYLE):
            return fn(*args, **kwargs)

    return wrapper


def save_figure(fig: Figure, path: str | Path, formats: tuple[str, ...] = ("png", "svg")) -> list[Path]:
    """Save `fig` next to `path` in each format (PNG for decks, SVG for print); returns the files."""
    path = Path(path)
    base = path.with_suffix("") if path.suffix in (".png", ".svg", ".pdf") else path  # "x.tracking" keeps its dot
    out = []
    for fmt in formats:
        target = base.parent / f"{base.name}.{fmt}"
        fig.savefig(target, dpi=150, bbox_inches="tight")
        out.append(target)
    plt.close(fig)
    return out


NUMBER = matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 1000 else f"{v:.3g}")


def _compact(v: float, _: object = None) -> str:
    """A tick label that stays short: 1.5M, 120k, 0.03."""
    for size, unit in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(v) >= size:
            return f"{v / size:.3g}{unit}"
    return f"{v:.3g}"


COMPACT = matplotlib.ticker.FuncFormatter(_compact)

# Okabe-Ito: distinguishable under the common colour-vision deficiencies.
STAGE_COLOURS = ["#56B4E9", "#E69F00", "#009E73", "#0072B2", "#999999"]
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]


def _shares(occupancy: pd.DataFrame, dimension: str, order: list[str]) -> pd.DataFrame:
    """Mean share of customers in each state per period, over replications (columns in `order`)."""
    d = occupancy[occupancy["dimension"] == dimension]
    counts = d.pivot_table(index=["replication", "period"], columns="state", values="customers", observed=True)
    counts = counts.reindex(columns=order, fill_value=0)
    shares = counts.div(counts.sum(axis=1), axis=0)
    return shares.groupby(level="period").mean()


@styled
def plot_stage_occupancy(
    occupancy: pd.DataFrame, ax: Axes | None = None, lifetimes: pd.DataFrame | None = None
) -> Figure:
    """Stacked areas: share of customers in each relationship stage per month (mean over replications).

    With `lifetimes`, the dissolution band is split: prospects who lost interest before ever buying
    (they never became customers) apart from relationships that dissolved.
    """
    fig, ax = _axes(ax)
    s = _shares(occupancy, "stage", STAGES)
    labels, colours = [n.capitalize() for n in STAGES], list(STAGE_COLOURS)
    if lifetimes is not None:
        lost = _lost_prospects(occupancy, lifetimes)
        s.insert(len(STAGES) - 1, "lost", lost.reindex(s.index, fill_value=0.0))
        s["dissolution"] -= s["lost"]
        labels[-1:] = ["Never a customer (lost interest)", "Dissolved relationship"]
        colours[-1:] = ["#DDDDDD", "#999999"]
    ax.stackplot(s.index, s.T.to_numpy(), labels=labels, colors=colours, alpha=0.9)
    _finish(ax, "Relationship stages over time", "Share of customers")
    return fig


def _lost_prospects(occupancy: pd.DataFrame, lifetimes: pd.DataFrame) -> pd.Series:
    """Mean share per month of customers who left as prospects (dissolved before the month, never acquired)."""
    d = occupancy[occupancy["dimension"] == "stage"]
    total = d.groupby(["replication", "period"], observed=True)["customers"].sum()
    lost = lifetimes[lifetimes["dissolution_cause"] == "prospect_lost"]
    periods = total.index.get_level_values("period").to_numpy()
    reps = total.index.get_level_values("replication").to_numpy()
    counts = np.zeros(len(total))
    for rep, months in lost.groupby("replication", observed=True)["dissolved_month"]:
        ended = np.sort(months.to_numpy())
        mine = reps == rep
        counts[mine] = np.searchsorted(ended, periods[mine], side="left")  # dissolved before the month starts
    return pd.Series(counts / total.to_numpy(), index=total.index).groupby(level="period").mean()


@styled
def plot_rung_occupancy(occupancy: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Stacked areas: share of customers in a relationship (prospects included) on each rung per month."""
    fig, ax = _axes(ax)
    s = _shares(occupancy, "active_rung", RUNGS)
    colours = plt.get_cmap("cividis")(np.linspace(0.0, 1.0, len(RUNGS)))
    labels = [f"{k + 1} {n.replace('_', ' ')}" for k, n in enumerate(RUNGS)]
    ax.stackplot(s.index, s.T.to_numpy(), labels=labels, colors=colours, alpha=0.95)
    _finish(ax, "Loyalty ladder over time (not dissolved)", "Share of customers")
    return fig


@styled
def plot_occupancy(occupancy: pd.DataFrame, lifetimes: pd.DataFrame | None = None) -> Figure:
    """Stage and rung occupancy side by side, the figure `crmsim run` saves (see plot_stage_occupancy)."""
    fig, (a, b) = plt.subplots(1, 2, figsize=(13, 4.8), constrained_layout=True)
    plot_stage_occupancy(occupancy, ax=a, lifetimes=lifetimes)
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


@styled
def plot_frontier(frontier: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Efficient frontier (expected value against standard deviation) with the chosen portfolio marked."""
    fig, ax = _axes(ax)
    f = frontier.sort_values("std")
    ax.plot(f["std"], f["expected_value"], "-o", color="#0072B2", markersize=3, label="Efficient frontier")
    if "chosen" in f and f["chosen"].any():
        c = f[f["chosen"]].iloc[0]
        ax.plot(c["std"], c["expected_value"], "*", color="#D55E00", markersize=16, label="Chosen portfolio")
        ax.annotate(
            f"risk aversion {c['gamma']:.3g}  ",
            (c["std"], c["expected_value"]),
            ha="right",
            va="bottom",
            fontsize="small",
        )
    ax.set_title("Efficient customer portfolio")
    ax.set_xlabel("Standard deviation of discounted value (currency)")
    ax.set_ylabel("Expected discounted value (currency)")
    ax.xaxis.set_major_formatter(NUMBER)
    ax.yaxis.set_major_formatter(NUMBER)
    ax.legend(frameon=False, loc="lower right")
    ax.grid(alpha=0.3)
    return fig


@styled
def plot_spend_plan(plan: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Monthly migration spend per customer on each rung, with the chance it moves a customer up.

    An investment plan (a column `investment`) is drawn as the month's spend per rung, stacked by type,
    one panel per segment.
    """
    if "investment" in plan.columns:
        return _plot_investment_plan(plan)
    fig, ax = _axes(ax)
    labels = [f"{int(r)} {RUNGS[int(r) - 1].replace('_', ' ')}" for r in plan["rung"]]
    bars = ax.bar(labels, plan["spend_per_customer"], color="#009E73")
    for bar, p in zip(bars, plan["move_probability"], strict=True):
        ax.annotate(
            f"{p:.1%}",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize="small",
        )
    ax.set_title("Migration spend plan (label: monthly chance of moving up)")
    ax.set_xlabel("Rung")
    ax.set_ylabel("Spend per customer per month (currency)")
    ax.tick_params(axis="x", rotation=30)
    return fig


def _plot_investment_plan(plan: pd.DataFrame) -> Figure:
    """Monthly spend per rung, stacked by lever, one panel per segment."""
    segments = list(dict.fromkeys(plan["segment"])) if "segment" in plan.columns else [None]
    fig, axes = plt.subplots(1, len(segments), figsize=(6.4 * len(segments), 4.0), squeeze=False, sharey=True)
    colours = {"social": "#0072B2", "structural": "#009E73", "financial": "#E69F00", "direct": "#CC79A7"}
    labels = [f"{r} {RUNGS[r - 1].replace('_', ' ')}" for r in range(1, len(RUNGS) + 1)]
    for ax, seg in zip(axes[0], segments, strict=True):
        part = plan if seg is None else plan[plan["segment"] == seg]
        table = part.pivot_table(index="rung", columns="investment", values="total_spend", aggfunc="sum")
        table = table.reindex(range(1, len(RUNGS) + 1), fill_value=0.0).fillna(0.0)
        bottom = np.zeros(len(table))
        for kind in [k for k in colours if k in table.columns]:
            ax.bar(labels, table[kind], bottom=bottom, color=colours[kind], label=kind)
            bottom += table[kind].to_numpy()
        ax.set_title("Spend plan" if seg is None else f"Spend plan: {seg}")
        ax.set_xlabel("Rung")
        ax.tick_params(axis="x", rotation=45)
        ax.yaxis.set_major_formatter(NUMBER)
    axes[0][0].set_ylabel("Spend per month (currency)")
    axes[0][-1].legend(title="lever", frameon=False)
    return fig


@styled
def plot_comparison(differences: pd.DataFrame, kpis: list[str] | None = None) -> Figure:
    """Paired differences of each variant against the baseline, one panel per KPI, with 95% intervals.

    Panels share the variant axis (names once, at the left of each row), and
    tick labels are compact (120k, 1.5M) so they never run together.
    """
    kpis = kpis or list(dict.fromkeys(differences["kpi"]))
    cols = min(4, len(kpis))
    rows = -(-len(kpis) // cols)
    n_variants = max(1, differences["variant"].nunique())
    fig, axes = plt.subplots(
        rows,
        cols,
        figsize=(2.2 + 2.6 * cols, 1.2 + (0.45 * n_variants + 0.8) * rows),
        squeeze=False,
        sharey=True,
        constrained_layout=True,
    )
    base = differences["baseline"].iloc[0]
    palette = {"better": "#009E73", "worse": "#D55E00", "higher": "#0072B2", "lower": "#0072B2"}
    order = list(dict.fromkeys(differences["variant"]))
    for ax, kpi in zip(axes.flat, kpis, strict=False):
        d = differences[differences["kpi"] == kpi].set_index("variant").reindex(order)
        for k, (_, row) in enumerate(d.iterrows()):
            if pd.isna(row["difference"]):
                continue
            err = [[row["difference"] - row["ci_low"]], [row["ci_high"] - row["difference"]]]
            colour = palette.get(row["verdict"], "#999999")
            ax.errorbar(row["difference"], k, xerr=err, fmt="o", color=colour, capsize=3)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.set_yticks(np.arange(len(order)), order)
        ax.set_ylim(-0.7, len(order) - 0.3)
        ax.set_title(kpi.replace("_", " "), fontsize="medium")
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(3, symmetric=False))
        ax.xaxis.set_major_formatter(COMPACT)
    for ax in list(axes.flat)[len(kpis) :]:
        ax.set_visible(False)
    fig.suptitle(
        f"Difference from {base} (paired, 95% interval; green: better, orange: worse, grey: no clear difference)"
    )
    return fig


@styled
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
        ax.yaxis.set_major_formatter(NUMBER)  # thousands separators, never a "1e6" offset
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


@styled
def plot_migration_matrix(panel: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Heatmap of monthly rung-to-rung moves (row shares), with dissolution as the last column.

    `panel` is the customer-month table (:attr:`Results.customers`).
    """
    from optimize.migration import ladder_from_panel

    P, _, seen = ladder_from_panel(panel)
    P = np.where(seen[:, None] > 0, P, np.nan)  # rungs nobody stood on have no moves to show
    fig, ax = _axes(ax)
    im = ax.imshow(P, cmap="Blues", vmin=0, vmax=1, aspect="auto")
    for i in range(P.shape[0]):
        for j in range(P.shape[1]):
            if np.isfinite(P[i, j]) and P[i, j] >= 0.005:
                ax.text(
                    j,
                    i,
                    f"{P[i, j]:.0%}",
                    ha="center",
                    va="center",
                    fontsize="x-small",
                    color="white" if P[i, j] > 0.6 else "black",
                )
    names = [f"{k + 1} {n.replace('_', ' ')}" for k, n in enumerate(RUNGS)]
    ax.set_xticks(range(P.shape[1]), names + ["dissolved"], rotation=40, ha="right")
    ax.set_yticks(range(P.shape[0]), [f"{n}  (n={int(c):,})" for n, c in zip(names, seen, strict=True)])
    ax.set_xlabel("Rung next month")
    ax.set_ylabel("Rung this month (customer-months seen)")
    ax.set_title("Monthly migration between rungs")
    fig.colorbar(im, ax=ax, format=matplotlib.ticker.PercentFormatter(1.0), label="Share of the row")
    return fig


@styled
def plot_clv_distribution(lifetimes: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """CLV of the customers ever acquired (or in a relationship at month 0), by segment: empirical CDFs, means marked.

    A CDF shows the whole skewed distribution (a box hides the tail that makes the mean); the note under
    the axes says who is left out.  The axis spans the 0.5th to 99.5th percentile.
    """
    fig, ax = _axes(ax)
    customers = (lifetimes["acquired_month"] >= 0) | lifetimes["existing"]
    lt = lifetimes[customers]
    segments = list(lt["segment"].cat.categories) if hasattr(lt["segment"], "cat") else sorted(lt["segment"].unique())
    for k, segment in enumerate(segments):
        clv = lt.loc[lt["segment"] == segment, "clv"].to_numpy()
        if not len(clv):
            continue
        colour = PALETTE[k % len(PALETTE)]
        ax.ecdf(clv, color=colour, label=f"{segment}: mean {clv.mean():,.0f} (n = {len(clv):,})")
        ax.axvline(clv.mean(), color=colour, linestyle="--", linewidth=1.2)
    if len(lt):
        lo, hi = np.percentile(lt["clv"], [0.5, 99.5])
        if hi > lo:
            ax.set_xlim(lo, hi)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("CLV: discounted margin over the horizon (currency)")
    ax.set_ylabel("Customers with CLV at most this")
    ax.set_title("Customer lifetime value (dashed: mean)")
    ax.xaxis.set_major_formatter(NUMBER)
    ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0))
    ax.set_ylim(0, 1)
    ax.legend(loc="lower right", frameon=False, fontsize="small")
    left_out = int((~customers).sum())
    note = (
        f"Customers ever acquired or in a relationship at month 0; {left_out:,} prospects who never bought "
        "are left out (KPI mean_clv counts them, mean_clv_acquired does not)."
    )
    ax.annotate(
        textwrap.fill(note, 95),
        xy=(0, -0.16),
        xycoords="axes fraction",
        fontsize="x-small",
        color="#555555",
        va="top",
    )
    return fig


def customer_summary(results) -> pd.DataFrame:
    """One row per customer and replication: mean monthly margin and cost to serve in a relationship, final rung."""
    p = results.customers
    active = p[(p["stage"] != "dissolution") & (p["stage"] != "awareness")]
    agg = active.groupby(["replication", "customer"]).agg(
        margin=("margin", "mean"), cost_to_serve=("cost_to_serve", "mean")
    )
    life = results.lifetimes.set_index(["replication", "customer"])[["segment", "final_rung", "clv"]]
    return agg.join(life, how="inner").reset_index()


@styled
def plot_portfolio_quadrants(
    summary: pd.DataFrame,
    scheme: str = "loyalty_effort",
    loyal_rung: int = 5,
    high_effort: float = 1.5,
    ax: Axes | None = None,
) -> Figure:
    """Customers on the seeds' portfolio grids, quadrants labelled.

    ``loyalty_effort`` (CR lecture notes): customer-management effort against rung.
    ``profitability_loyalty`` (PRM notes): rung against monthly margin.
    `summary` comes from :func:`customer_summary`.
    """
    fig, ax = _axes(ax)
    rng = np.random.default_rng(0)
    loyalty = summary["final_rung"] + rng.uniform(-0.3, 0.3, len(summary))  # jitter: rungs are whole numbers
    cut = loyal_rung - 0.5
    if scheme == "loyalty_effort":
        x, y = summary["cost_to_serve"], loyalty
        xcut, ycut = high_effort * summary["cost_to_serve"].median(), cut
        labels = (
            ("Switchers", "low", "low"),
            ("Most valuable", "low", "high"),
            ("Undesirable", "high", "low"),
            ("Partners", "high", "high"),
        )
        ax.set_xlabel("Customer-management effort: cost to serve per month (currency)")
        ax.set_ylabel("Loyalty-ladder rung")
    elif scheme == "profitability_loyalty":
        x, y = loyalty, summary["margin"]
        pos = summary["margin"][summary["margin"] > 0]
        xcut, ycut = cut, pos.median() if len(pos) else 0.0
        labels = (
            ("Strangers", "low", "low"),
            ("Barnacles", "high", "low"),
            ("Butterflies", "low", "high"),
            ("True friends", "high", "high"),
        )
        ax.set_xlabel("Loyalty-ladder rung")
        ax.set_ylabel("Margin per month (currency)")
    else:
        raise UsageError(f"scheme = {scheme!r}: use loyalty_effort or profitability_loyalty")
    ax.scatter(x, y, s=8, alpha=0.35, color="#0072B2", edgecolors="none")
    ax.axvline(xcut, color="#D55E00", linewidth=1)
    ax.axhline(ycut, color="#D55E00", linewidth=1)
    xlo, xhi = ax.get_xlim()
    ylo, yhi = ax.get_ylim()
    for name, xs, ys in labels:
        box = ((xlo, xcut) if xs == "low" else (xcut, xhi), (ylo, ycut) if ys == "low" else (ycut, yhi))
        at, ha = _emptiest_spot(np.asarray(x, dtype=float), np.asarray(y, dtype=float), *box)
        ax.text(
            *at,
            name,
            ha=ha,
            va="center",
            fontsize="large",
            fontweight="bold",
            color="#333333",
            bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.75},
        )
    ax.set_title(
        "Customer portfolio: "
        + ("loyalty by management effort" if scheme == "loyalty_effort" else "profitability by loyalty")
    )
    return fig


def _emptiest_spot(
    x: np.ndarray, y: np.ndarray, xs: tuple[float, float], ys: tuple[float, float]
) -> tuple[tuple[float, float], str]:
    """Where in the box `xs` x `ys` a label covers the fewest points, and its alignment.

    The box is cut into 4 x 4 cells; a label is wider than a cell, so each cell counts with its left and
    right neighbours.  A label in an outer column is aligned to the box's edge, so it stays inside.
    """
    xe, ye = np.linspace(*xs, 5), np.linspace(*ys, 5)
    counts, _, _ = np.histogram2d(x, y, bins=[xe, ye])
    padded = np.pad(counts, ((1, 1), (0, 0)))
    crowd = padded[:-2] + padded[1:-1] + padded[2:]
    centre = np.array([1.5, 1.5])
    i, j = min(np.ndindex(crowd.shape), key=lambda ij: (crowd[ij], np.abs(np.array(ij) - centre).sum()))
    pad = 0.03 * (xs[1] - xs[0])
    at_y = (ye[j] + ye[j + 1]) / 2
    if i == 0:
        return (xe[0] + pad, at_y), "left"
    if i == 3:
        return (xe[4] - pad, at_y), "right"
    return ((xe[i] + xe[i + 1]) / 2, at_y), "center"


@styled
def plot_tracking(tracking: pd.DataFrame, ax: Axes | None = None, band: str = "95%") -> Figure:
    """Cumulative repeat purchases by week, month or opportunity (BG/BB): actual against each model's simulation.

    A `model` column draws one simulated line and band per model (the agent model and BG/NBD side by side).
    """
    fig, ax = _axes(ax)
    unit = next(u for u in ("week", "month", "opportunity") if u in tracking)  # BG/BB: one a period
    models = list(tracking.groupby("model", sort=False)) if "model" in tracking else [("calibrated", tracking)]
    first = models[0][1]
    ax.plot(first[unit], first["actual"], color="black", label="Actual")
    for (name, part), colour in zip(models, ("#0072B2", "#E69F00", "#009E73"), strict=False):
        ax.plot(part[unit], part["simulated"], color=colour, linestyle="--", label=f"Simulated ({name})")
        ax.fill_between(
            part[unit], part["simulated_low"], part["simulated_high"], color=colour, alpha=0.2, label=f"{band} band"
        )
    hold = first[first["period"] == "holdout"]
    if len(hold):
        ax.axvline(hold[unit].iloc[0] - 0.5, color="#D55E00", linewidth=1)
        ax.annotate(" holdout", (hold[unit].iloc[0], ax.get_ylim()[1] * 0.05), color="#D55E00")
    ax.set_xlabel(unit.capitalize())
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    what = {"week": "purchases", "month": "purchase-months", "opportunity": "transactions"}[unit]
    ax.set_ylabel(f"Cumulative repeat {what}")
    ax.yaxis.set_major_formatter(NUMBER)
    ax.set_title("Tracking: calibration and holdout")
    ax.legend(frameon=False, loc="upper left")
    return fig


@styled
def plot_sensitivity(indices: pd.DataFrame, method: str, kpi: str) -> Figure:
    """Morris: mu* against sigma, each parameter numbered by rank with a key beside; Sobol: S1 and ST bars."""
    if method == "morris":
        fig, (ax, side) = plt.subplots(
            1, 2, figsize=(11, 4.8), constrained_layout=True, gridspec_kw={"width_ratios": [3, 2]}
        )
        ax.errorbar(indices["mu_star"], indices["sigma"], xerr=indices["mu_star_conf"], fmt="o", color="#0072B2")
        for rank, row in enumerate(indices.itertuples(), start=1):  # numbers, not names: names collide in a cluster
            ax.annotate(str(rank), (row.mu_star, row.sigma), textcoords="offset points", xytext=(4, 4), fontsize=8)
        top = float(max(indices["mu_star"].max(), indices["sigma"].max(), 1e-12))
        ax.plot([0, top], [0, top], linestyle=":", color="grey", label="sigma = mu*")
        ax.set_xlabel("mu*: mean |elementary effect| (95% interval)")
        ax.set_ylabel("sigma: spread of the effects")
        ax.xaxis.set_major_formatter(NUMBER)
        ax.yaxis.set_major_formatter(NUMBER)
        ax.legend(frameon=False, fontsize="small", loc="lower right")
        ax.set_title(f"Morris screening of {kpi}", loc="left")
        side.axis("off")
        key = "\n".join(f"{rank:>2}  {name}" for rank, name in enumerate(indices["parameter"], start=1))
        side.text(0.0, 1.0, key, transform=side.transAxes, va="top", fontsize=8, family="monospace")
        return fig
    fig, ax = _axes(None)
    s = indices.iloc[::-1]  # largest at the top
    y = np.arange(len(s))
    ax.barh(y + 0.2, s["ST"], height=0.4, xerr=s["ST_conf"], color="#0072B2", label="total (ST)")
    ax.barh(y - 0.2, s["S1"], height=0.4, xerr=s["S1_conf"], color="#E69F00", label="first order (S1)")
    ax.set_yticks(y, s["parameter"])
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel(f"share of the variance of {kpi} (95% intervals)")
    ax.legend(frameon=False, fontsize="small")
    ax.set_title(f"Sobol' indices of {kpi}")
    return fig


@styled
def plot_discovery(trajectory: pd.DataFrame, chosen: int, points: pd.DataFrame, boxes: pd.DataFrame) -> Figure:
    """PRIM's peeling trajectory (coverage against density) and the chosen box over its two most restricted axes."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.8), constrained_layout=True)
    dots = left.scatter(trajectory["coverage"], trajectory["density"], c=trajectory["res_dim"], cmap="viridis", s=18)
    fig.colorbar(dots, ax=left, label="parameters restricted", ticks=range(int(trajectory["res_dim"].max()) + 1))
    pick = trajectory.loc[chosen]
    left.scatter([pick["coverage"]], [pick["density"]], s=120, facecolors="none", edgecolors="#D55E00", linewidths=2)
    low = pick["density"] < trajectory["density"].median()  # near the bottom: label above it, not over the axis
    left.annotate(
        f"chosen box {chosen}", (pick["coverage"], pick["density"]), xytext=(-90, 12 if low else -20),
        textcoords="offset points",
    )  # fmt: skip
    left.set_xlabel("coverage: share of all cases inside the box")
    left.set_ylabel("density: share of cases among points inside")
    left.set_title("PRIM peeling trajectory", loc="left")
    params = [c for c in points.columns if c not in ("difference", "se", "case")]
    axes = list(boxes["parameter"])[:2]
    axes += [p for p in params if p not in axes][: 2 - len(axes)]
    x, y = axes[0], axes[1] if len(axes) > 1 else axes[0]
    case = points["case"].to_numpy()
    right.scatter(points.loc[~case, x], points.loc[~case, y], s=14, color="#999999", label="baseline does better")
    right.scatter(points.loc[case, x], points.loc[case, y], s=14, color="#0072B2", label="variant does better")
    lims = {r.parameter: (r.low, r.high) for r in boxes.itertuples()}
    (x0, x1), (y0, y1) = (lims.get(a, (points[a].min(), points[a].max())) for a in (x, y))
    right.add_patch(matplotlib.patches.Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, color="#D55E00", linewidth=2))
    right.set_xlabel(x)
    right.set_ylabel(y)
    right.set_title("the chosen box", loc="left")
    right.legend(frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(0, -0.15), ncol=2)
    return fig
