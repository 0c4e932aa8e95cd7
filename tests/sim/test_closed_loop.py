"""Closed loop: optimized plans fed back to the simulation deliver the predicted gain on fresh seeds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.app.cli import app
from sim.errors import UsageError
from sim.scenario import load_scenario
from sim.workflows.migration import migration_loop
from sim.workflows.portfolio import _scenario_table, portfolio_loop
from tests.conftest import small
from tests.sim.test_markov import LADDER_MARGINS, LADDER_WITH_CHURN

ROOT = Path(__file__).resolve().parents[2]


def markov_market():
    return small(
        behaviour="markov",
        horizon_months=36,
        replications=10,
        population={"customers": 3000, "referral_pool": 0.0},
        segments=[{"name": "all", "initial_rungs": [1 / 8] * 8}],
        markov={"transitions": LADDER_WITH_CHURN.tolist(), "margins": LADDER_MARGINS},
    )


def row(report, quantity):
    return report.comparison.set_index("quantity").loc[quantity]


@pytest.mark.slow
@pytest.mark.parametrize("residual", ["none", "run_off"])  # valued to the horizon, and over the lifetime
def test_migration_plan_delivers_the_predicted_gain_and_beats_uniform_spend(residual):
    report = migration_loop(markov_market().with_overrides(valuation={"residual": residual}), budget=20_000.0)
    assert report.consistent(), report.comparison
    assert row(report, "simulated gain, optimized plan").ci_low > 0
    assert row(report, "optimized minus uniform").ci_low > 0
    assert report.plan["total_spend"].sum() <= 20_000.0 * (1 + 1e-6)


@pytest.mark.slow
def test_portfolio_gain_shows_up_on_fresh_seeds():
    sc = load_scenario(ROOT / "scenarios" / "segments.toml").with_overrides(
        horizon_months=36, replications=10, population={"customers": 800, "referral_pool": 0.5, "fixed": False}
    )
    # Near risk-neutral, the most valuable mix earns more than the even spread, on fresh seeds, as predicted.
    report = portfolio_loop(sc, level="segment", capacity_share=0.5, gamma=1e-9, points=20, n_jobs=2)
    assert row(report, "simulated gain over uniform").ci_low > 0
    gap = row(report, "simulated minus predicted")
    assert gap.ci_low < 0 < gap.ci_high
    assert report.frontier["chosen"].sum() == 1
    # The default point is no riskier than the even spread, so its predicted gain is not negative.
    default = portfolio_loop(sc, level="segment", capacity_share=0.5, points=20, n_jobs=2)
    assert row(default, "predicted gain over uniform (corrected for selection)")["mean"] > 0
    gap = row(default, "simulated minus predicted")
    assert gap.ci_low < 0 < gap.ci_high


def test_selection_optimism_is_zero_without_noise_and_positive_when_choosing_on_noise():
    from optimize.portfolio import Constraints
    from sim.workflows.portfolio import Chooser, selection_optimism

    rng = np.random.default_rng(5)
    con = Constraints(capacity=1.0, upper=1.0)
    ref = np.full(20, 1 / 20)
    # Twenty assets of equal true value: whichever the optimizer picks, it picked for noise.  A fold's choice sees
    # 8 draws (standard error 30 / sqrt(8) = 10.6), and the best of 20 such means sits about 1.9 errors high, so
    # the optimism is about 20 x 0.8 (the 1/n scaling) = 16; 5 is under a third of that.
    choose = Chooser(np.ones(20), con, gamma=1e-6)
    noisy = rng.normal(100.0, 30.0, size=(10, 20))
    assert selection_optimism(noisy, choose, ref) > 5.0
    # Without noise every fold chooses the same holdings and values them the same: nothing to correct.
    exact = np.tile(np.linspace(50.0, 150.0, 20), (10, 1))
    assert selection_optimism(exact, choose, ref) == pytest.approx(0.0, abs=1e-6)


@pytest.mark.slow
def test_portfolio_prediction_is_consistent_on_fresh_seeds():
    # The issue's own case, at the shipped size: at 800 customers the 80 enterprise customers' heavy-tailed
    # referral trees make a 10-replication mean swing threefold between seed sets (23,300 against 7,300 and 8,500).
    sc = load_scenario(ROOT / "scenarios" / "segments.toml").with_overrides(replications=10)
    report = portfolio_loop(sc, level="segment", capacity_share=0.5, points=20)
    assert report.consistent(), report.comparison
    # The firm plays the holdings: the scenario it returns serves each segment's chosen share, and the check's
    # capacity use is that of the policy (at most the capacity, up to the noise of fresh seeds).
    held = report.plan.set_index("asset")["holding"]
    served = {s.name: s.served for s in report.scenario.segments}
    assert {k for k, v in served.items() if v > 0} == set(held[held > 1e-3].index)
    used = row(report, "capacity used, optimized (share of capacity)")
    assert used.ci_low <= 1.0
    stability = report.stability
    assert list(stability.asset) == list(report.plan.asset)
    assert (stability.bootstrap_low <= stability.bootstrap_high + 1e-9).all()
    assert 0.0 <= stability.capacity_moved.iloc[0] <= 1.0


def test_a_robust_portfolio_moves_less_between_resamples():
    # Two well-measured assets (sd 5) and two noisy ones (sd 60), all worth 100; twelve draws.  The plain choice
    # follows whichever noisy mean came out high, so it moves between bootstrap resamples; kappa = 3 discounts
    # each mean by three of its standard errors (5 / sqrt(12) = 1.4 against 17), so it keeps to the measured ones.
    from optimize.portfolio import Constraints
    from sim.workflows.portfolio import Chooser, holdings_stability

    con = Constraints(capacity=2.0, upper=1.0)
    moved = {"plain": [], "robust": []}
    for seed in range(6):
        x = np.random.default_rng(seed).normal(100.0, [5.0, 5.0, 60.0, 60.0], size=(12, 4))
        for name, kappa in (("plain", 0.0), ("robust", 3.0)):
            choose = Chooser(np.ones(4), con, 1e-6, kappa)
            table = holdings_stability(x, choose, choose(x), np.ones(4), 2.0, ["a", "b", "c", "d"])
            moved[name].append(float(table.capacity_moved.iloc[0]))
    assert np.mean(moved["robust"]) < 0.5 * np.mean(moved["plain"]), moved


@pytest.mark.slow
def test_customer_level_portfolio_runs_with_a_fixed_population():
    sc = small(replications=6, horizon_months=18, population={"customers": 150})
    report = portfolio_loop(sc, level="customer", capacity_share=0.3, points=8)
    assert len(report.plan) == 150  # the customers present from month 0
    assert report.plan["holding"].between(-1e-6, 1 + 1e-6).all()  # serve a customer at most fully
    # Capacity binds: the chosen holdings use at most 30% of the cost to serve every customer.
    _, resource, available = _scenario_table(report.estimation, "customer")
    resource = np.maximum(resource, 1e-6 * max(float(resource.mean()), 1.0))  # the loop's floor for costless customers
    assert report.plan["resource"].sum() <= 0.3 * float(resource @ available) * (1 + 1e-6)
    # Same customers in every replication: characteristics do not vary across replications.
    lt = report.estimation.lifetimes
    assert (lt.groupby("customer")["wallet"].nunique() == 1).all()


def test_optimize_commands_write_plans_and_plots(tmp_path):
    f = tmp_path / "m.toml"
    f.write_text("horizon_months = 12\nreplications = 3\n[population]\ncustomers = 200\n")
    runner = CliRunner()
    res = runner.invoke(app, ["optimize", "migration", str(f), "--budget", "2000", "--out", str(tmp_path / "mig")])
    assert res.exit_code == 0, res.output
    for name in ("plan.csv", "scenario.toml", "closed_loop.csv", "rounds.csv", "spend_plan.png"):
        assert (tmp_path / "mig" / name).is_file()
    planned = load_scenario(tmp_path / "mig" / "scenario.toml")
    plan = pd.read_csv(tmp_path / "mig" / "plan.csv")
    social = plan[plan["investment"] == "social"].sort_values("rung")["spend_per_customer"].tolist()
    direct = plan[plan["investment"] == "direct"].sort_values("rung")["spend_per_customer"].tolist()
    assert planned.investments.social.spend == pytest.approx(social)
    assert planned.migration.spend == pytest.approx(direct)
    # A scenario can read the plan file directly: investments and direct moves alike.
    g = tmp_path / "mig" / "with_plan.toml"
    g.write_text('[investments]\nplan = "plan.csv"\n[migration]\nplan = "plan.csv"\n')
    read = load_scenario(g)
    assert read.investments.social.spend == pytest.approx(social)
    assert read.migration.spend == pytest.approx(direct)
    res = runner.invoke(app, ["optimize", "portfolio", str(f), "--out", str(tmp_path / "port"), "--points", "5"])
    assert res.exit_code == 2 and "one segment" in res.output  # no mix of segments to choose
    res = runner.invoke(
        app, ["optimize", "portfolio", str(f), "--level", "customer", "--out", str(tmp_path / "port"), "--points", "5"]
    )
    assert res.exit_code == 0, res.output
    for name in ("frontier.csv", "portfolio.csv", "closed_loop.csv", "frontier.png"):
        assert (tmp_path / "port" / name).is_file()


def test_missing_plan_file_is_a_clear_error(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text('[migration]\nplan = "nope.csv"\n')
    res = CliRunner().invoke(app, ["validate", str(f)])
    assert res.exit_code == 2 and "plan file" in res.output and "crmsim optimize migration" in res.output


@pytest.mark.slow
def test_per_segment_plan_spends_where_segments_differ():
    sc = load_scenario(ROOT / "scenarios" / "segments.toml").with_overrides(
        horizon_months=24,
        replications=4,
        population={"customers": 600, "referral_pool": 0.5, "fixed": False},
        valuation={"residual": "none"},  # the per-segment machinery; lifetime value is the other tests' concern
    )
    report = migration_loop(sc, budget=3000.0, by_segment=True)
    assert set(report.plan["segment"]) == {s.name for s in sc.segments}
    assert len(report.plan) == len(sc.segments) * 8 * 4  # segments x rungs x levers
    # Spend per month is what the plan promises within the budget (occupancy measured at the plan).
    assert report.plan["total_spend"].sum() <= 3000.0 * (1 + 1e-6)
    # The plan goes back into the simulation per segment.
    assert set(report.scenario.investments.social.segment_spend) == {s.name for s in sc.segments}


def agent_market():
    return small(horizon_months=60, replications=10, population={"customers": 1000, "referral_pool": 0.5})


def within_noise(report, sds: float = 3.0) -> bool:
    """Is simulated minus predicted within `sds` standard errors of 0 (read off its 95% interval)?"""
    diff = row(report, "simulated minus predicted")
    se = (diff.ci_high - diff.ci_low) / (2 * 2.1)  # Welch's t with about 15 degrees of freedom for 10 + 10 runs
    return abs(diff["mean"]) <= sds * se


@pytest.mark.slow
def test_agent_migration_plan_delivers_its_prediction_and_beats_the_benchmarks():
    report = migration_loop(agent_market(), budget=2500.0, n_jobs=2)
    # The prediction (the plan simulated on validation seeds) and the check (other fresh seeds) agree within
    # their noise (3 standard errors: a 95% interval misses 0 one time in 20 by design).
    assert within_noise(report), report.comparison
    predicted = row(report, "predicted gain (plan simulated on validation seeds)")["mean"]
    assert 0.7 < row(report, "simulated gain, optimized plan")["mean"] / predicted < 1.3
    # Against uniform spend the lead depends on the plan the loop lands on: on four root seeds it was 62k-82k
    # (95% intervals well above 0) on three and 10.6k (-0.6k to 21.8k) on this one, so the test asserts a lead
    # only; against the Markov-ladder plan and greedy spending the wins were clear on all four.
    assert row(report, "optimized minus uniform")["mean"] > 0
    assert row(report, "optimized minus Markov-ladder plan").ci_low > 0
    assert row(report, "optimized minus greedy").ci_low > 0
    rounds = report.rounds
    assert rounds["validation"].iloc[-1] and rounds["replications_run"].sum() > 0
    # Spend stays within the budget where the plan is played (2% slack for the occupancy it changes).
    assert report.plan["total_spend"].sum() <= 2500.0 * 1.02


@pytest.mark.slow
def test_agent_migration_spends_nothing_where_no_spend_pays():
    # Valued over 36 months only, the investments do not pay back in this market: every arm loses money, and the
    # loop, which never keeps a plan that does worse than no spend on the same seeds, ends with (almost) none.
    sc = small(
        horizon_months=36,
        replications=10,
        population={"customers": 1000, "referral_pool": 0.5},
        valuation={"residual": "none"},
    )
    report = migration_loop(sc, budget=2500.0, n_jobs=2)
    assert not report.rounds["accepted"].iloc[1:-1].all()
    assert report.plan["total_spend"].sum() < 0.1 * 2500.0
    assert row(report, "optimized minus Markov-ladder plan").ci_low > 0


def test_lifetime_values_need_a_residual_in_the_agent_model():
    with pytest.raises(UsageError, match="--lifetime"):
        migration_loop(small(valuation={"residual": "none"}), budget=100.0, replications=2, lifetime=True)


def test_a_design_whose_levels_all_equal_the_plan_reproduces_the_plan_exactly():
    # The design mechanism only changes who spends what: with every level at the plan's spend, the designed run is
    # the plan's run, bit for bit (the same random numbers, the same spend per customer).
    from sim.engine.design import LEVERS, SpendDesign
    from sim.workflows.spend_response import outcome, with_investments

    sc = small(horizon_months=12, population={"customers": 200, "referral_pool": 0.5}).with_overrides(
        record="aggregates"
    )
    plan = np.zeros((len(sc.segments), 8, len(LEVERS)))
    plan[:, 2:5, 0], plan[:, 3, 3] = 6.0, 4.0
    levels = np.repeat(plan[..., None], 4, axis=-1)
    design = SpendDesign(levels=levels, chances=np.full(levels.shape, 0.25), centre=plan)
    planned = with_investments(sc, plan, by_segment=True)
    a, b = outcome(planned, 0, 11), outcome(planned, 0, 11, design)
    assert a.equity == b.equity and np.array_equal(a.value, b.value) and a.invested == b.invested > 0


def test_an_unsettled_portfolio_choice_is_named_in_the_notes():
    import pandas as pd

    from sim.workflows.portfolio import _notes

    def table(moved, held):
        return pd.DataFrame({"asset": ["a", "b"], "held_in_share": held, "capacity_moved": moved})

    settled = _notes(table(0.01, [1.0, 0.0]), "segment", 20)
    unsettled = _notes(table(0.16, [1.0, 0.7]), "segment", 20)
    assert not any("not settled" in n or "rests on" in n for n in settled)
    assert any("not settled" in n and "b in 70%" in n for n in unsettled)
    # Few replications are named whatever the resamples say: they share the sample's bias.
    assert any("rests on 10 replications" in n for n in _notes(table(0.01, [1.0, 0.0]), "segment", 10))
