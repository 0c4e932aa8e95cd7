"""Every plot runs on real results and shows the expected axes and series (checked on the figure object)."""

from __future__ import annotations

import matplotlib
import pytest

from sim.experiments import compare, paired_differences, run, sweep
from sim.viz import plotting as pl
from tests.conftest import small

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def results():
    return run(small(segments=[{"name": "a", "share": 0.6}, {"name": "b", "share": 0.4, "wallet_median": 3000.0}]))


def test_occupancy(results):
    fig = pl.plot_occupancy(results.occupancy)
    stages, rungs = fig.axes[:2]
    assert stages.get_xlabel() == "Month" and stages.get_ylabel() == "Share of customers"
    assert len(stages.collections) == 5 and len(rungs.collections) == 8  # one area per stage and per rung
    assert [t.get_text() for t in stages.get_legend().get_texts()][0] == "Awareness"


def test_the_stage_plot_keeps_prospects_who_never_bought_apart_from_dissolved_relationships(results):
    stages = pl.plot_occupancy(results.occupancy, results.lifetimes).axes[0]
    names = [t.get_text() for t in stages.get_legend().get_texts()]
    assert names[-2:] == ["Never a customer (lost interest)", "Dissolved relationship"]
    # The two bands add up to the dissolution share, and the first is the prospects lost before each month.
    lt, occ = results.lifetimes, results.occupancy
    lost = pl._lost_prospects(occ, lt)
    month = occ.period.max()
    last = occ[(occ.dimension == "stage") & (occ.period == month)]
    expected = [
        ((g.dissolution_cause == "prospect_lost") & (g.dissolved_month < month)).sum()
        / last[last.replication == rep].customers.sum()
        for rep, g in lt.groupby("replication", observed=True)
    ]
    assert lost.loc[month] == pytest.approx(sum(expected) / len(expected))


def test_migration_matrix(results):
    ax = pl.plot_migration_matrix(results.customers).axes[0]
    assert ax.get_xlabel() == "Rung next month" and len(ax.get_xticklabels()) == 9
    assert ax.images and ax.images[0].get_array().shape == (8, 9)


def test_clv_distribution(results):
    ax = pl.plot_clv_distribution(results.lifetimes).axes[0]
    assert "CLV" in ax.get_xlabel() and len(ax.get_legend().get_texts()) == 2  # one CDF per segment
    lt = results.lifetimes
    acquired = lt[(lt.acquired_month >= 0) | lt.existing]
    legend = ax.get_legend().get_texts()[0].get_text()
    a = acquired[acquired.segment == "a"]
    assert legend == f"a: mean {a.clv.mean():,.0f} (n = {len(a):,})"
    assert f"{len(lt) - len(acquired):,} prospects who never bought" in ax.texts[0].get_text().replace("\n", " ")


@pytest.mark.parametrize(
    "scheme,labels",
    [("loyalty_effort", {"Switchers", "Partners"}), ("profitability_loyalty", {"Barnacles", "True friends"})],
)
def test_portfolio_quadrants(results, scheme, labels):
    fig = pl.plot_portfolio_quadrants(pl.customer_summary(results), scheme)
    ax = fig.axes[0]
    assert labels <= {t.get_text() for t in ax.texts}
    points = ax.collections[0].get_offsets()
    assert len(points) > 50  # one point per customer
    # Labels sit where they hide few points: under 3% of the customers each.
    fig.canvas.draw()
    shown = ax.transData.transform(points)
    for text in ax.texts:
        box = text.get_window_extent(fig.canvas.get_renderer())
        hidden = (shown[:, 0] >= box.x0) & (shown[:, 0] <= box.x1) & (shown[:, 1] >= box.y0) & (shown[:, 1] <= box.y1)
        assert hidden.sum() < 0.03 * len(points), (text.get_text(), int(hidden.sum()))


def test_comparison_and_sweep():
    sc = small(replications=3, horizon_months=12, population={"customers": 150})
    variants = {
        "fitd": {"strategy.account_growth": "foot_in_the_door"},
        "aao": {"strategy.account_growth": "all_at_once"},
    }
    diff = paired_differences(compare(sc, variants, n_jobs=1), "fitd")
    fig = pl.plot_comparison(diff)
    assert {ax.get_title() for ax in fig.axes if ax.get_visible()} >= {"profit", "customer equity"}
    table = sweep(
        sc,
        {"segments[*].wallet_median": [500.0, 4000.0], "segments[*].need_uncertainty.mean": [0.2, 0.8]},
        variants=variants,
        n_jobs=1,
    )
    winners = paired_differences(
        table, "fitd", kpis=["profit"], by=["point", "segments[*].wallet_median", "segments[*].need_uncertainty.mean"]
    )
    ax = pl.plot_sweep(winners, "difference", "segments[*].wallet_median", "segments[*].need_uncertainty.mean").axes[0]
    assert ax.images[0].get_array().shape == (2, 2) and ax.get_xlabel() == "segments[*].wallet_median"


def test_frontier_and_spend_plan():
    import pandas as pd

    frontier = pd.DataFrame(
        {
            "gamma": [0.1, 1.0, 10.0],
            "expected_value": [3.0, 2.0, 1.0],
            "std": [2.0, 1.0, 0.5],
            "chosen": [False, True, False],
        }
    )
    ax = pl.plot_frontier(frontier).axes[0]
    assert "Standard deviation" in ax.get_xlabel() and len(ax.lines) == 2  # frontier and chosen point
    plan = pd.DataFrame(
        {
            "rung": range(1, 9),
            "spend_per_customer": [0, 0, 1, 10, 11, 8, 8, 0],
            "move_probability": [0, 0, 0.01, 0.04, 0.04, 0.03, 0.03, 0],
        }
    )
    ax = pl.plot_spend_plan(plan).axes[0]
    assert len(ax.patches) == 8 and "Spend per customer" in ax.get_ylabel()


def test_save_figure_writes_png_and_svg(results, tmp_path):
    files = pl.save_figure(pl.plot_occupancy(results.occupancy), tmp_path / "occ")
    assert sorted(f.suffix for f in files) == [".png", ".svg"] and all(f.stat().st_size > 1000 for f in files)


def test_tick_labels_stay_short_and_a_one_parameter_sweep_has_its_band():
    from sim.experiments import summarize_sweep

    assert [pl._compact(v) for v in (-150_000.0, 1_500_000.0, 0.03, 0.0)] == ["-150k", "1.5M", "0.03", "0"]
    sc = small(replications=3, horizon_months=12, population={"customers": 150})
    table = sweep(sc, {"segments[*].wallet_median": [500.0, 2000.0]}, variants={}, n_jobs=1)
    summary, value, _ = summarize_sweep(table, ["segments[*].wallet_median"], "profit")
    assert (summary["ci_low"] < summary[value]).all() and (summary[value] < summary["ci_high"]).all()
    ax = pl.plot_sweep(summary, value, "segments[*].wallet_median").axes[0]
    assert ax.collections  # the 95% band
    assert ax.yaxis.get_major_formatter() is pl.NUMBER  # thousands separators, no "1e6" offset
