"""Each mechanism of the agent month on a hand-computed case: three customers, uniforms chosen by hand.

The mechanisms run as the numpy month (tests/oracle.py), which test_kernel.py
shows gives the compiled kernel's tables.

A uniform of 0.0 makes every chance happen and 0.999 none; the expected
values below are worked out from the scenario defaults written next to them.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.episodes import Clock
from sim.engine.market import Market
from sim.engine.mechanisms import referrals, trust
from sim.engine.modes import mode_for
from sim.engine.records import Recorder
from sim.engine.state import Customers
from sim.engine.strategies import growth as growth_strategies
from sim.engine.streams import purpose_key
from sim.scenario import Scenario
from sim.stages import COMMITMENT, DISSOLUTION, EXPANSION, EXPLORATION, Cause
from tests import oracle
from tests.oracle import Month

NEVER, ALWAYS = 0.999, 0.0


class HandDraws:
    """The month's uniforms by purpose, set by the test (NEVER for any purpose it does not set)."""

    def __init__(self, n: int, **by_purpose):
        self.n, self.by_purpose = n, {k.replace("__", "."): np.asarray(v, dtype=float) for k, v in by_purpose.items()}

    def __call__(self, purpose: str, width: int = 1) -> np.ndarray:
        u = self.by_purpose.get(purpose, np.full(self.n, NEVER))
        return np.repeat(u[:, None], width, axis=1) if width > 1 else u

    def at(self, purpose: str, places: np.ndarray, width: int = 1) -> np.ndarray:
        return self(purpose, width)[places]

    def key(self, purpose: str) -> np.uint64:
        """A compiled scan computes its own uniforms from a key: tests set its chances to 0 or 1 instead."""
        return np.uint64(purpose_key(purpose))


def market(stages_, rung, scenario: Scenario | None = None, capacity: int | None = None, **draws) -> Market:
    """Customers with the given stages and rungs (0-based), wallet 1000, trust components 0.3, and hand-set draws."""
    sc = scenario or Scenario()
    n = len(stages_)
    c = Customers.blank(n, capacity or n)
    c.stage[:n], c.rung[:n] = stages_, rung
    c.wallet[:], c.need_u[:], c.market_u[:], c.transaction_u[:], c.fit[:] = 1000.0, 0.5, 0.5, 0.0, 0.6
    c.credibility[:], c.reliability[:], c.intimacy[:] = 0.3, 0.3, 0.3
    c.self_orientation[:] = 1.0
    c.products[:n] = np.where(np.asarray(stages_) > 0, 1, 0)
    recorder = Recorder(sc.horizon_months, c.capacity, panel=False, segments=len(sc.segments))
    return Market(sc, c, recorder, HandDraws(c.capacity, **draws), mode_for(sc))


def month(m: Market) -> Month:
    """A month opened on the market, with who is in a relationship fixed and the policy's effects set."""
    mo = Month(m, Clock(), t=3)
    mo.enter_relationships()
    oracle.policy_effects(mo)
    return mo


def test_acquisition_trial_at_trial_rate_times_rung_chance():
    # rung 3 (switcher): 0.15 x 0.35 = 0.0525
    m = market([0, 0], [2, 2], purchase=[0.05, 0.06])
    mo = Month(m, Clock(), t=3)
    oracle.acquisition(mo)
    c = m.customers
    assert list(mo.trial) == [True, False]
    assert (c.stage[0], c.products[0], c.acquired_month[0], c.acquisition[0]) == (EXPLORATION, 1, 3, 150.0)
    assert c.stage[1] == 0 and c.acquisition[1] == 0.0


def test_interactions_build_credibility_and_intimacy_and_cost():
    m = market([1, 1], [3, 3], interaction=[0.05, 0.5])  # transactional rate 0.10
    oracle.interactions(month(m))
    c = m.customers
    assert c.credibility[0] == pytest.approx(0.3 + 0.10 * 0.7)
    assert c.intimacy[0] == pytest.approx(0.3 + 0.08 * 0.1 * 0.7)  # times closeness 0.1
    assert c.cost[0] == 15.0 and c.cost[1] == 0.0 and c.credibility[1] == 0.3


def test_purchases_revenue_is_wallet_times_share_times_basket():
    sc = Scenario(purchasing={"basket_cv": 0.0})
    # expansion (stage factors 1): rung 4 buys with 0.55; exploration: 0.55 x 0.8 = 0.44 and baskets x 0.6
    m = market([2, 2, 1, 1], [3, 3, 3, 3], sc, purchase=[0.5, 0.6, 0.43, 0.45], basket=[0.5] * 4)
    m.customers.share_of_wallet[:] = 0.2
    mo = month(m)
    oracle.purchases(mo)
    c = m.customers
    assert list(mo.buy) == [True, False, True, False]
    assert c.revenue[0] == pytest.approx(1000.0 * 0.2) and c.revenue[1] == 0.0
    assert c.revenue[2] == pytest.approx(1000.0 * 0.2 * 0.6)
    # 1 of 4 products held: target share = 0.35 x (1 + 0 - 0) x 1/4
    assert mo.sow_target[0] == pytest.approx(0.35 / 4)
    assert c.cost[0] == pytest.approx(10.0 + 0.03 * 200.0)  # fixed plus variable cost to serve


def test_service_failure_hurts_reliability_and_recovery_costs():
    m = market([1, 1], [3, 3], service__failure=[0.0, NEVER], service__recovery=[0.0, NEVER])
    m.customers.transaction_u[:] = 0.5
    mo = month(m)
    mo.buy = np.array([True, True])
    oracle.service(mo)
    c = m.customers
    assert list(mo.failed) == [True, False] and list(mo.resolved) == [True, False]
    assert c.reliability[0] == pytest.approx(0.3 - min(0.2 * 1.5, 1.0) * 0.3)
    assert c.reliability[1] == pytest.approx(0.3 + 0.05 * 0.7)
    assert c.cost[0] == 25.0


def test_a_first_success_sets_satisfaction_to_its_experience():
    m = market([1], [3])
    mo = month(m)
    mo.buy, mo.failed, mo.resolved = np.array([True]), np.array([False]), np.array([False])
    oracle.satisfaction(mo)
    # success 0.5, fit = 1 - |0.1 - 0.5| = 0.6: 0.5 x 0.5 + 0.5 x (2 x 0.6 - 1)
    assert m.customers.satisfaction[0] == pytest.approx(0.5 * 0.5 + 0.5 * 0.2)
    assert m.customers.experiences[0] == 1


def test_commitment_moves_towards_trust_and_lock_in():
    m = market([1], [3])
    m.customers.affective[0] = 0.1
    mo = month(m)
    mo.coverage = np.array([0.25])
    oracle.commitment(mo)
    c = m.customers
    assert mo.trust[0] == pytest.approx(0.3)
    assert c.affective[0] == pytest.approx(0.1 + 0.1 * (0.3 - 0.1))
    switching = 0.4 * 0.25  # no linkage under the transactional posture
    dependence = 0.5 * 0.25
    target = 0.5 * (switching + dependence) - 0.5 * (0.3 - 0.5)
    assert c.calculative[0] == pytest.approx(0.1 * target)


def test_share_of_wallet_closes_a_fifth_of_the_gap():
    m = market([1], [3])
    m.customers.share_of_wallet[0] = 0.1
    mo = month(m)
    mo.sow_target = np.array([0.3])
    oracle.share_of_wallet(mo)
    assert m.customers.share_of_wallet[0] == pytest.approx(0.1 + 0.2 * 0.2)


def test_ladder_climbs_on_drive_and_drops_after_an_unresolved_failure():
    m = market([1, 1, 1], [3, 3, 3], ladder__up=[ALWAYS, NEVER, NEVER], ladder__failure_drop=[NEVER, NEVER, ALWAYS])
    m.customers.transaction_u[2] = 1.0
    mo = month(m)
    mo.unresolved = np.array([False, False, True])
    oracle.ladder(mo)
    assert list(m.customers.rung) == [4, 3, 2]


def test_migration_spend_buys_a_move_and_is_charged():
    sc = Scenario(migration={"spend": [0, 0, 0, 20.0, 0, 0, 0, 0]})
    m = market([1, 1], [3, 3], sc, migration=[0.05, 0.07])  # p = 0.10 x (1 - e^-1) = 0.0632
    mo = month(m)
    mo.unresolved = np.array([False, False])
    oracle.ladder(mo)
    assert list(m.customers.rung) == [4, 3]
    assert list(m.customers.cost) == [20.0, 20.0]


def test_stages_move_with_trust_and_record_commitment():
    m = market([1, 2, 3], [5, 5, 5], stage=[0.01, 0.01, 0.01])  # below 0.25 and 0.145, above regression 0.0029
    c = m.customers
    c.purchases[:] = 5
    mo = month(m)
    mo.trust, mo.satisfaction = np.full(3, 0.9), np.full(3, 0.9)
    mo.affective, mo.calculative, mo.share_of_wallet = np.full(3, 0.9), np.full(3, 0.9), np.full(3, 0.9)
    oracle.stages(mo)
    assert list(c.stage) == [EXPANSION, COMMITMENT, COMMITMENT]  # nobody regresses at this height
    assert c.commitment_month[1] == 3


def test_competitor_pulls_an_approached_customer_away():
    m = market([1, 1], [2, 2], competitor__offer=[ALWAYS, NEVER], competitor__switch=[ALWAYS, ALWAYS])
    mo = month(m)
    mo.switching, mo.affective, mo.satisfaction = np.zeros(2), np.zeros(2), np.zeros(2)
    oracle.competition(mo)
    assert m.customers.stage[0] == DISSOLUTION and m.customers.cause[0] == Cause.COMPETITOR
    assert m.customers.stage[1] == 1


def test_dissolution_ends_relationships_and_prospects_lose_interest():
    m = market([1, 1, 0], [3, 3, 3], dissolution=[0.005, 0.5, 0.005])
    mo = month(m)
    mo.switched = np.zeros(2, dtype=bool)
    mo.satisfaction, mo.trust, mo.calculative = np.zeros(2), np.full(2, 0.5), np.zeros(2)
    mo.dependence, mo.unresolved, mo.transaction_u = np.zeros(2), np.zeros(2, dtype=bool), np.zeros(2)
    oracle.dissolution(mo)  # hazard 0.01 for both; prospects leave at 0.01
    c = m.customers
    assert list(c.stage) == [DISSOLUTION, 1, DISSOLUTION]
    assert (c.cause[0], c.cause[2]) == (Cause.DISSATISFACTION, Cause.PROSPECT_LOST)


def test_trust_components_drift_back_without_contact():
    m = market([1], [3])
    m.customers.credibility[0], m.customers.self_orientation[0] = 0.8, 1.5
    oracle.trust_drift(month(m))
    assert m.customers.credibility[0] == pytest.approx(0.8 + 0.01 * (0.3 - 0.8))
    assert m.customers.self_orientation[0] == pytest.approx(1.5 + 0.1 * (1.2 - 1.5))
    assert trust.green_trust(0.3, 0.6, 0.9, 2.0) == pytest.approx(0.3)


def test_advocates_refer_a_prospect_who_enters_next_month():
    only_rung_7 = Scenario(purchasing={"referral_rate": [0.0] * 6 + [1.0, 0.0]})
    m = market([1, 1], [6, 2], only_rung_7, capacity=3, referral__delay=[0.5, 0.5])
    m.month = 3
    env = Clock()
    mo = Month(m, env, t=3)
    referrals.step(mo)
    env.run()
    c = m.customers
    assert c.n == 3 and c.referrals[0] == 1 and c.referrals[1] == 0  # only rung 7 refers
    assert (c.referred_by[2], c.entered[2]) == (0, 4)


def test_growth_episodes_start_for_eligible_customers_only():
    sc = Scenario(
        strategy={"account_growth": "foot_in_the_door"}, account_growth={"foot_in_the_door": {"offer_rate": 1.0}}
    )
    m = market([1, 0, 1, 4], [3, 3, 3, 3], sc)
    m.customers.products[2] = sc.firm.max_products
    growth_strategies.step(month(m))
    # A prospect, a customer holding every product and a dissolved one are not eligible, whatever the draw.
    assert list(m.customers.in_episode) == [True, False, False, False]


def test_investments_build_bonds_that_act_on_drivers_and_fade():

    spend = [0.0, 0.0, 0.0, 20.0, 0.0, 0.0, 0.0, 0.0]  # rung 4 only
    sc = Scenario(
        investments={"social": {"spend": spend}, "structural": {"spend": spend}, "financial": {"spend": spend}}
    )
    m = market([1, 1], [3, 2], sc)
    oracle.investments(month(m))
    c = m.customers
    grown = 0.10 * (1 - np.exp(-1.0))  # social: effect 0.10, scale 20
    assert c.social_bond[0] == pytest.approx(grown * (1 - 0.05)) and c.social_bond[1] == 0.0
    assert c.credibility[0] == pytest.approx(0.3 + grown * 0.10 * 0.7)  # acts before it fades
    structural = 0.08 * (1 - np.exp(-20.0 / 30.0))
    assert c.linkage[0] == pytest.approx(structural)
    assert c.financial_bond[0] == pytest.approx(0.20 * (1 - np.exp(-2.0)) * 0.5)
    assert (c.cost[0], c.cost[1]) == (60.0, 0.0)  # three types at 20 each, only on rung 4
