"""Calibrating the agent model to a customer file (ABC-SMC): statistics, cohorts, recovery, the written scenario."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.app.cli import app
from sim.calibration import agent
from sim.calibration.transactions import read_log, simulated_log
from sim.experiments import run
from sim.scenario import Scenario, load_scenario
from sim.scenario.paths import get_path
from tests.conftest import small

TRUTH = {
    "purchasing.purchase_probability[2]": 0.6,
    "purchasing.purchase_probability[3]": 0.7,
    "dissolution.base_hazard": 0.04,
    "purchasing.basket_cv": 0.6,
    "segments[0].wallet_median": 500.0,
    "segments[0].wallet_sigma": 0.5,
    "ladder.up_rate": 0.25,
    "ladder.down_rate": 0.05,
    "segments[0].heterogeneity.purchase_shape": 1.5,  # customers differ for life in how often they buy
    "segments[0].heterogeneity.hazard_shape": 3.0,
}


def test_statistics_of_a_hand_made_file():
    # Three customers over 4 months: A enters in month 0 and buys in 0, 1, 3; B enters in 1 and never comes back;
    # C enters in 2 and buys again in 3.
    bought = np.array([[1, 0, 0], [1, 1, 0], [0, 0, 1], [1, 0, 1]], dtype=bool)
    spend = np.where(bought, np.array([[10.0, 0, 0], [20, 40, 0], [0, 0, 10], [40, 0, 10]]), 0.0)
    stats = agent.statistics(agent.CustomerMonths(bought, spend, np.array([0, 1, 2])), 4)
    assert [stats[f"repeat_months_{k}+"] for k in agent.REPEAT_BINS] == pytest.approx([1 / 3, 1 / 3, 1 / 3, 0, 0, 0])
    assert stats["silent_last_3"] == 0.0  # only A was acquired 3 months before the end, and it bought in month 3
    assert stats["mean_gap"] == pytest.approx((1 + 2 + 1) / 3)
    assert stats["repeat_per_customer_month_1"] == pytest.approx(1 / 2)  # A repeats; A and B acquired
    assert stats["repeat_per_customer_month_3"] == pytest.approx(2 / 3)  # A and C repeat
    logs = np.log([10, 20, 40, 10, 40, 10])
    assert stats["log_spend_mean"] == pytest.approx(logs.mean())
    within = np.mean([np.log([10, 20, 40]).std(), 0.0])
    assert stats["log_spend_sd_within"] == pytest.approx(within)
    assert stats["repeat_months_per_customer"] == pytest.approx(1.0)
    assert stats["repeat_dispersion"] == pytest.approx((2 / 3) / 1)  # repeats 2, 0, 1: variance 2/3, mean 1
    # Only A had a repeat chance in the first half: too few customers for a correlation.
    assert stats["early_late_correlation"] == 0.0
    # Months 0-1 are the calibration: A has 1 repeat and buys once after; B none; C none, then 2 purchase-months.
    profile = agent.holdout_profile(agent.CustomerMonths(bought, spend, np.array([0, 1, 2])), 2)
    assert profile["calibration_holdout_correlation"] == pytest.approx(np.corrcoef([1, 0, 0], [1, 0, 2])[0, 1])
    assert profile["share_5plus_repeat_months"] == 0.0 and np.isnan(profile["holdout_months_of_3plus_repeaters"])


def test_early_and_late_purchase_months_correlate_when_customers_differ():
    # Four customers from month 0, six months: two buy every month, two buy only in their first.
    bought = np.zeros((6, 4), dtype=bool)
    bought[0] = True
    bought[:, :2] = True
    bought[4, 2] = True  # one light buyer comes back once late
    repeat = agent._repeats(bought, np.zeros(4, dtype=int))
    assert agent._early_late(repeat, np.zeros(4, dtype=int), 6) == pytest.approx(
        np.corrcoef([2, 2, 0, 0], [3, 3, 1, 0])[0, 1]
    )


@pytest.mark.parametrize("name", [agent.WALLET, *agent.SHAPES, "ladder.up_rate"])
def test_parameters_are_sampled_on_their_own_scale_and_come_back(name):
    for value in (0.2, 1.5, 40.0):
        assert agent.natural(name, agent.sampled(name, value)) == pytest.approx(value)
    if name in agent.SHAPES:  # a CV of 0 is no heterogeneity: the schema's largest shape
        assert agent.natural(name, 0.0) == pytest.approx(1e6)


def test_groups_of_statistics_weigh_the_same():
    w = agent.weights(["repeat_per_customer_month_1", "repeat_per_customer_month_2", "log_spend_mean"])
    assert sum(v**2 for k, v in w.items() if k.startswith("repeat")) == pytest.approx(w["log_spend_mean"] ** 2)


def cohort_truth(sizes=(300, 300, 300, 300), months=12) -> Scenario:
    sc = small(population={"customers": 0, "cohorts": list(sizes), "referral_pool": 0.0}, horizon_months=months)
    return agent.with_parameters(sc, {k: agent.sampled(k, v) for k, v in TRUTH.items()})


def test_a_simulated_log_reads_back_as_the_simulation_it_came_from():
    sc = cohort_truth()
    res = run(sc.with_overrides(record="customers"), 1, 7)
    log = read_log("sim", frame=simulated_log(res.customers, "2025-01-01", 7), allow_duplicates=True)
    read = agent.cohorts(log, pd.Timestamp("2025-08-31"))
    assert read.sizes[:4] == [300, 300, 300, 300] and read.months == 8 and read.total == 12
    direct = agent.from_simulation(sc, 0, 7)
    a, b = agent.statistics(read.observed, 8), agent.statistics(direct, 8)
    assert a.keys() == b.keys()
    for k in a:  # amounts are rounded to cents in the log
        assert a[k] == pytest.approx(b[k], abs=1e-3), k


@pytest.mark.slow
def test_the_fit_recovers_known_parameters_within_its_intervals():
    sc = cohort_truth(sizes=(500, 500, 500, 500))
    res = run(sc.with_overrides(record="customers"), 1, 11)
    log = read_log("sim", frame=simulated_log(res.customers, "2025-01-01", 11), allow_duplicates=True)
    fit = agent.fit_agent(log, pd.Timestamp("2025-08-31"), Scenario(), seed=2, population=150, generations=6)
    table = fit.parameters.set_index("parameter")
    fitted = table[table.identified]
    assert len(fitted) >= 3, table  # at full size (2,000 customers, 12 months) six are: README, Calibration
    covered = [(fitted.lower[k] <= TRUTH[k] <= fitted.upper[k]) for k in fitted.index]
    assert np.mean(covered) >= 0.7, table
    # Every parameter, identified or not, takes its posterior median in the written scenario.
    written = fit.scenario.model_dump()
    for name in agent.PRIORS:
        assert get_path(written, name) == pytest.approx(table.estimate[name]), name
    assert (table.lower <= table.estimate).all() and (table.estimate <= table.upper).all()
    assert fit.scenario.behaviour == "agent" and fit.scenario.population.cohorts[:4] == [500] * 4


def test_a_fit_is_repeatable_and_the_same_serial_or_parallel():
    sc = cohort_truth(sizes=(150, 150), months=6)
    res = run(sc.with_overrides(record="customers"), 1, 3)
    log = read_log("sim", frame=simulated_log(res.customers, "2025-01-01", 3), allow_duplicates=True)
    fits = [
        agent.fit_agent(log, pd.Timestamp("2025-04-30"), Scenario(), seed=5, jobs=jobs, population=20, generations=2)
        for jobs in (1, 1, 2)
    ]
    pd.testing.assert_frame_equal(fits[0].parameters, fits[1].parameters)
    pd.testing.assert_frame_equal(fits[0].draws, fits[2].draws)


def test_calibrate_agent_writes_a_scenario_every_strategy_runs_on(tmp_path):
    scen = tmp_path / "truth.toml"
    scen.write_text(
        "horizon_months = 8\nreplications = 1\n[population]\ncustomers = 0\ncohorts = [150, 150]\nreferral_pool = 0.0\n"
    )
    runner = CliRunner()
    done = runner.invoke(app, ["run", str(scen), "--transactions", "--out", str(tmp_path / "run"), "-q"])
    assert done.exit_code == 0, done.output
    cal = tmp_path / "cal.toml"
    args = ["calibrate", str(tmp_path / "run" / "transactions.csv"), "--model", "agent", "--calibration-end"]
    args += ["2025-05-31", "--allow-duplicates", "--seed", "1", "--particles", "20", "--generations", "2"]
    done = runner.invoke(app, [*args, "-r", "3", "--out", str(cal), "-q"])
    assert done.exit_code == 0, done.output
    sc = load_scenario(cal)
    assert sc.behaviour == "agent" and sc.population.cohorts[:2] == [150, 150]
    params = pd.read_csv(tmp_path / "cal.parameters.csv")
    assert {"parameter", "estimate", "lower", "upper"} <= set(params.columns) and len(params) == len(agent.PRIORS) + 1
    track = pd.read_csv(tmp_path / "cal.tracking.csv")
    assert set(track.model) == {"agent", "BG/NBD"} and set(track.period) == {"calibration", "holdout"}
    profile = pd.read_csv(tmp_path / "cal.profile.csv")
    assert set(profile.model) == {"agent", "BG/NBD"} and len(profile) == 6
    assert (profile.low <= profile.simulated).all() and (profile.simulated <= profile.high).all()
    # The log's column is the log's own profile, read as the fit reads it, for both models.
    log = read_log(tmp_path / "run" / "transactions.csv", allow_duplicates=True)
    read = agent.cohorts(log, pd.Timestamp("2025-05-31"))
    real = agent.holdout_profile(read.observed, read.months)
    for _, part in profile.groupby("model"):
        assert part.set_index("statistic").actual.to_dict() == pytest.approx(real, nan_ok=True)
    assert "not in a transaction log" in cal.read_text()
    assert "overstates the hazard multipliers' spread" in cal.read_text()  # README, Recovery: said where it is used
    done = runner.invoke(
        app,
        [
            "compare",
            str(cal),
            "-v",
            "aao:strategy.account_growth=all_at_once",
            "-r",
            "2",
            "-q",
            "--out",
            str(tmp_path / "cmp"),
        ],
    )
    assert done.exit_code == 0, done.output
    bad = runner.invoke(app, [*args[:-4], "--model", "agent", "--out", str(tmp_path / "x.toml"), "--model", "nope"])
    assert bad.exit_code != 0
    seg = runner.invoke(app, [*args, "--segment", "region", "--out", str(tmp_path / "y.toml")])
    assert seg.exit_code != 0 and "--segment" in seg.output
