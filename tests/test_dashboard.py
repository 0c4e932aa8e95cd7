"""The dashboard without a browser: controls follow the schema, an untouched page is the scenario, jobs are cached."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from concurrent.futures.process import BrokenProcessPool

import pytest

from sim.app.dashboard import INTERACTIVE, interactive
from sim.app.dashboard.controls import (
    controls,
    current_value,
    excluded,
    field_errors,
    levers,
    read_settings,
    scheme_classes,
)
from sim.app.dashboard.jobs import Job
from sim.app.dashboard.server import BASELINE, whatif_scenario
from sim.app.dashboard.worker import Cancelled, Worker
from sim.experiments.compare import fitd_arms
from sim.scenario import Scenario, ScenarioError, load_scenario
from sim.scenario.overrides import with_changes
from sim.scenario.paths import get_path
from tests.browser import free_port
from tests.conftest import small
from tests.reference import LADDER_WITH_CHURN

SCENARIOS = ["scenarios/baseline.toml", "scenarios/segments.toml", "scenarios/smart_strategies.toml"]


@pytest.mark.parametrize("path", SCENARIOS)
def test_every_field_is_a_control_once_with_the_schema_description_as_help(path):
    sc = load_scenario(path)
    main, segments, rest = levers(sc)
    placed = [c.path for c in (*main, *segments, *rest)]
    assert len(placed) == len(set(placed))
    every = controls(sc)
    assert len({c.id for c in every}) == len(every)  # page ids never collide
    for c in every:
        if excluded(c.path):  # what-if tables, names, the record mode; actions get one drop-down per class
            continue
        assert c.path in placed, c.path
        assert c.help, f"{c.path} has no description in the schema"
    assert {c.path for c in segments} == {
        f"segments[{i}].{f}" for i in range(len(sc.segments)) for f in ("share", "wallet_median")
    }


def _as_the_page_holds(sc: Scenario) -> dict:
    """What every input shows for `sc`, numbers as the browser sends them (floats)."""
    raw = {}
    for c in controls(sc):
        shown = c.shown(current_value(sc, c.path))
        raw[c.path] = float(shown) if c.kind in ("integer", "number") else shown
    return raw


@pytest.mark.parametrize("path", SCENARIOS)
def test_an_untouched_page_reads_back_as_the_scenario(path):
    sc = load_scenario(path)
    assert read_settings(sc, _as_the_page_holds(sc), {}) == (sc, {}, {})


def test_a_changed_lever_and_a_class_action_become_the_scenario():
    sc = Scenario()
    raw = {**_as_the_page_holds(sc), "strategy.posture": "collaborative", "portfolio_policy.scheme": "value"}
    actions = {**scheme_classes()["value"], "below_zero": "streamline"}
    got, errors, changes = read_settings(sc, raw, actions)
    assert errors == {} and got.strategy.posture == "collaborative"
    assert got.portfolio_policy.actions["below_zero"] == "streamline"
    assert set(changes) == {"strategy.posture", "portfolio_policy.scheme", "portfolio_policy.actions"}


def test_a_lever_the_mode_never_reads_is_refused_beside_it():
    sc = small(behaviour="markov", markov={"transitions": LADDER_WITH_CHURN.tolist()})
    raw = {**_as_the_page_holds(sc), "strategy.posture": "collaborative"}
    got, errors, _ = read_settings(sc, raw, {})
    assert got is None and list(errors) == ["strategy.posture"]
    assert 'behaviour = "markov" never reads strategy.posture' in errors["strategy.posture"]


def test_control_limits_come_from_the_schema():
    every = {c.path: c for c in controls(Scenario())}
    assert (every["firm.gross_margin"].low, every["firm.gross_margin"].high) == (0.0, 1.0)
    assert every["horizon_months"].kind == "integer" and every["horizon_months"].low == 1
    assert every["strategy.posture"].choices == ("transactional", "collaborative")
    assert every["firm.capacity"].kind == "optional" and every["firm.capacity"].read("") is None


def test_bad_values_get_the_validate_message_beside_their_field():
    sc = Scenario()
    every = {c.path: c for c in controls(sc)}
    with pytest.raises(ScenarioError, match="horizon_months = 2.5: must be a whole number"):
        every["horizon_months"].read(2.5)
    with pytest.raises(ScenarioError, match="migration.spend"):
        every["migration.spend"].read("[1, 2")
    with pytest.raises(ScenarioError) as exc:
        with_changes(sc, {"firm.gross_margin": 1.5, "horizon_months": 0})
    placed = field_errors(str(exc.value), list(every))
    assert placed["firm.gross_margin"].startswith("firm.gross_margin = 1.5:")
    assert placed["horizon_months"].startswith("horizon_months = 0:")


def test_a_rule_across_fields_lands_beside_the_fields_it_names():
    sc = load_scenario("scenarios/segments.toml")
    paths = [c.path for c in controls(sc)]
    with pytest.raises(ScenarioError) as exc:
        with_changes(sc, {"segments[0].share": 0.9})
    placed = field_errors(str(exc.value), paths)
    assert set(placed) == {f"segments[{i}].share" for i in range(len(sc.segments))}
    assert all("shares sum to" in m for m in placed.values())


def test_the_downloaded_what_if_runs_the_current_settings_and_compares_what_the_page_compared():
    base = small()
    changes = {"strategy.posture": "collaborative", "replications": 4}
    saved = {"aao": {"strategy.posture": "collaborative", "strategy.account_growth": "all_at_once"}}
    sc = whatif_scenario(base, changes, saved)
    assert sc.strategy.posture == "collaborative" and sc.replications == 4
    arms = sc.compare.variants
    assert arms[BASELINE] == {"strategy.posture": "transactional"}  # the baseline is the scenario as opened
    assert arms["aao"]["strategy.account_growth"] == "all_at_once"
    assert sc.compare.baseline == BASELINE


def test_fitd_arms_have_equal_effort():
    sc = small(account_growth={"foot_in_the_door": {"offer_rate": 0.07, "offer_cost": 55.0}})
    arms = fitd_arms(sc)
    aao = with_changes(sc, arms["all_at_once"])
    assert aao.account_growth.all_at_once.offer_rate == 0.07
    assert aao.account_growth.all_at_once.offer_cost == 55.0


def test_the_opening_run_is_interactive_in_size():
    big = Scenario(horizon_months=120, replications=50, population={"customers": 100_000})
    sc = interactive(big)
    assert sc.population.customers * sc.horizon_months * sc.replications <= INTERACTIVE
    assert sc.replications == 10 and sc.horizon_months == 120
    assert interactive(Scenario()) == Scenario()  # the baseline already is


def test_a_job_is_known_by_its_content():
    a, b = Job("run", small()), Job("run", small())
    assert a.key == b.key
    assert Job("run", small(seed=1)).key != a.key
    assert Job("portfolio", small(), {"capacity": 0.5}).key != Job("portfolio", small(), {"capacity": 0.4}).key


def test_the_worker_caches_by_content_within_its_budget_and_cancels_between_replications():
    async def scenario():
        worker = Worker(cache_bytes=1.0)  # room for the newest result only
        try:
            job = Job("run", small())
            first = await worker.submit(job)
            assert worker.cached(Job("run", small())) is first  # the same content: no second run
            long = Job("run", small(replications=500))
            waiting = asyncio.ensure_future(worker.submit(long))
            while (worker.progress() or ("", 0, 0))[1] < 1:
                await asyncio.sleep(0.05)
            worker.cancel()
            with pytest.raises(Cancelled):
                await waiting
            assert worker.cached(long) is None and worker.progress() is None
            again = await worker.submit(Job("run", small(seed=2)))  # the worker goes on after a cancel
            assert get_path(again.scenario.model_dump(), "seed") == 2
            assert worker.cached(Job("run", small(seed=2))) is again
            assert worker.cached(job) is None  # the older result left the cache when the budget was full
        finally:
            worker.close()

    asyncio.run(scenario())


def test_a_worker_that_dies_fails_its_job_and_the_next_job_gets_a_new_one():
    async def scenario():
        worker = Worker()
        try:
            waiting = asyncio.ensure_future(worker.submit(Job("run", small(replications=500))))
            while (worker.progress() or ("", 0, 0))[1] < 1:
                await asyncio.sleep(0.05)
            for process in list(worker._pool._processes.values()):  # as the kernel's out-of-memory killer would
                os.kill(process.pid, signal.SIGKILL)
            with pytest.raises(BrokenProcessPool):
                await waiting
            res = await worker.submit(Job("run", small()))
            assert len(res.replications) == small().replications
        finally:
            worker.close()

    asyncio.run(scenario())


def test_a_killed_server_leaves_no_worker_computing_on():
    port = free_port()
    cmd = [sys.executable, "-m", "sim", "dashboard", "--port", str(port)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert "http://127.0.0.1:" in proc.stdout.readline()  # printed once the worker is started
        time.sleep(1.0)
        os.kill(proc.pid, signal.SIGKILL)  # no chance to stop its worker
        proc.wait(timeout=10)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                os.killpg(proc.pid, 0)  # anything left in the server's session?
            except ProcessLookupError:
                return
            time.sleep(0.2)
        pytest.fail("the dashboard's worker outlived its server")
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
