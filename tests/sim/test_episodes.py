"""Episodes run per monthly cohort give exactly what one SimPy process per customer gives.

The engine moves each month's growth-offer starters through their sequence
together (`sim.engine.strategies.growth`).  The reference below is the straightforward
design: one process per customer, deciding alone at its own times with the
same decision functions.  Every array of the replication must match.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.episodes import Clock
from sim.engine.simulate import simulate
from sim.engine.strategies.growth import GROWTH, all_at_once, foot_in_the_door
from tests.conftest import small


def fitd_one_by_one(env: Clock, market, cohort: np.ndarray) -> None:
    p = market.scenario.account_growth.foot_in_the_door
    for j in cohort:
        env.process(_fitd_alone(env, market, int(j), env.timeout(p.decision_months)))


def _fitd_alone(env, market, j, first):
    p = market.scenario.account_growth.foot_in_the_door
    size, since, wait = float(p.initial_size), p.decision_months, first
    for step in range(p.max_steps):
        yield wait
        if not foot_in_the_door.decide(market, np.array([j]), step, size, since)[0]:
            break
        size *= p.growth_factor
        since = p.interval_months + p.decision_months
        wait = env.timeout(since)
    market.customers.in_episode[j] = False


def all_at_once_one_by_one(env: Clock, market, cohort: np.ndarray) -> None:
    p = market.scenario.account_growth.all_at_once
    market.customers.cost[cohort] += p.offer_cost
    at = env.now - p.decision_months * np.log1p(-all_at_once.decision_uniforms(market, cohort))
    for j, when in zip(cohort, at, strict=True):
        env.process(_all_at_once_alone(env, market, int(j), when))


def _all_at_once_alone(env, market, j, when):
    yield env.timeout(when - env.now)
    all_at_once.decide(market, np.array([j]))


def arrays(scenario) -> dict[str, np.ndarray]:
    rep = simulate(scenario, 1)
    out = {f"customers.{k}": v for k, v in vars(rep.customers).items() if isinstance(v, np.ndarray)}
    out.update({f"recorder.{k}": v for k, v in vars(rep.recorder).items() if isinstance(v, np.ndarray)})
    return out


FAST_FITD = {"foot_in_the_door": {"decision_months": 0.3, "interval_months": 0.25, "max_steps": 8}}
ON_BOUNDARIES = {"foot_in_the_door": {"decision_months": 1.0, "interval_months": 1.0}}


@pytest.mark.parametrize(
    "growth, reference, offers",
    [
        ("foot_in_the_door", fitd_one_by_one, {}),
        ("foot_in_the_door", fitd_one_by_one, FAST_FITD),
        ("foot_in_the_door", fitd_one_by_one, ON_BOUNDARIES),
        ("all_at_once", all_at_once_one_by_one, {}),
    ],
)
def test_cohort_episodes_equal_one_process_per_customer(monkeypatch, growth, reference, offers):
    sc = small(
        horizon_months=36,
        population={"customers": 1500},
        strategy={"account_growth": growth},
        account_growth=offers,
        portfolio_policy={"scheme": "value", "min_tenure_months": 6},
    )
    engine = arrays(sc)
    monkeypatch.setitem(GROWTH, growth, reference)
    alone = arrays(sc)
    assert engine["customers.offers"].sum() > 100  # the episodes did run
    different = [name for name in engine if not np.array_equal(engine[name], alone[name])]
    assert not different, f"cohort episodes differ from one process per customer in {different}"
