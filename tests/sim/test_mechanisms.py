"""Each mechanism of the compiled agent month on a hand-computed case: the kernel's own functions, a few customers.

The mechanisms are the compiled functions the kernel inlines
(sim.engine.mechanisms), called here on one customer record at a time.  A
customer's uniform of a stream is counter-based: it follows from the stream's
key and the customer's identity (sim.engine.streams).  So each case chooses
its customers' identities such that the uniforms it names fall where it wants:
within WIDTH below or above a chance worked out by hand from the scenario
defaults written next to it.  A chance computed wrongly by more than WIDTH
moves the threshold past the uniform and fails the case.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numba import njit
from scipy.special import ndtri

from sim.engine.episodes import Clock
from sim.engine.kernel import Kernel
from sim.engine.market import Market
from sim.engine.mechanisms import (
    acquisition,
    commitment,
    competition,
    dissolution,
    growth,
    interactions,
    investments,
    ladder,
    purchases,
    referrals,
    satisfaction,
    service,
    share_of_wallet,
    stages,
    trust,
)
from sim.engine.mechanisms.draws import STREAMS
from sim.engine.mechanisms.month import Month
from sim.engine.modes import mode_for
from sim.engine.records import Recorder
from sim.engine.state import Customers
from sim.engine.strategies import growth as growth_strategies
from sim.engine.strategies import portfolio
from sim.engine.streams import MonthDraws, uniform
from sim.scenario import Scenario
from sim.stages import AWARENESS, COMMITMENT, DISSOLUTION, EXPANSION, EXPLORATION, Cause

WIDTH = 1e-3  # how close to a hand-computed chance a chosen uniform lies
T = 3  # the month of every case


def below(x: float) -> tuple[float, float]:
    """A uniform just below chance x: the event happens."""
    return (max(x - WIDTH, 0.0), x)


def above(x: float) -> tuple[float, float]:
    """A uniform just above chance x: the event does not happen, though it nearly does."""
    return (x, min(x + WIDTH, 1.0))


def over(x: float) -> tuple[float, float]:
    """Any uniform above chance x (the event does not happen; how near does not matter to the case)."""
    return (x, 1.0)


@njit(cache=True)
def _first_fit(keys, lo, hi, start, tries):  # noqa: ANN001, ANN202
    """The first identity from `start` whose uniform of each stream (keys[s]) lies in [lo[s], hi[s]); -1 if none."""
    for i in range(start, start + tries):
        fits = True
        for s in range(len(keys)):
            x = uniform(keys[s], i)
            if x < lo[s] or x >= hi[s]:
                fits = False
                break
        if fits:
            return i
    return -1


def first_identity(draws: MonthDraws, streams: dict[str, tuple[float, float]], start: int) -> int:
    """The first identity from `start` whose uniforms of `streams` lie in their intervals (a clear error if none)."""
    keys = np.array([draws.key(s) for s in streams], dtype=np.uint64)
    lo, hi = (np.array([bounds[i] for bounds in streams.values()], dtype=float) for i in (0, 1))
    found = _first_fit(keys, lo, hi, start, 10**9)
    if found < 0:
        raise ValueError(f"no identity in 10^9 has uniforms in {streams}: widen the intervals or name fewer streams")
    return found


class Case:
    """Customers with the given stages and rungs (0-based), wallet 1000 and trust components 0.3.

    `wanted[k]` maps a stream to the interval customer k's uniform of it must lie in; the customer gets the first
    identity (after the one before's) for which every named stream's uniform does.
    """

    def __init__(self, stages_, rungs, wanted=(), scenario: Scenario | None = None, capacity: int | None = None):
        sc = scenario or Scenario()
        n = len(stages_)
        c = Customers.blank(n, capacity or n)
        c.stage[:n], c.rung[:n] = stages_, rungs
        c.wallet[:], c.need_u[:], c.market_u[:], c.transaction_u[:], c.fit[:] = 1000.0, 0.5, 0.5, 0.0, 0.6
        c.credibility[:], c.reliability[:], c.intimacy[:] = 0.3, 0.3, 0.3
        c.self_orientation[:] = 1.0
        c.products[:n] = np.where(np.asarray(stages_) > 0, 1, 0)
        draws = MonthDraws(seed=2026, replication=0)
        draws.open(T, c.identity)
        start = 0
        for k, streams in enumerate(wanted):
            c.identity[k] = start = first_identity(draws, streams, start)
            start += 1
        recorder = Recorder(sc.horizon_months, c.capacity, panel=False, segments=len(sc.segments))
        self.market = Market(sc, c, recorder, draws, mode_for(sc))
        self.c, self.p, self.u = c, self.market.params, draws.keys(STREAMS)

    def r(self, k: int) -> np.void:
        """Customer k's record (the compiled mechanisms change it in place)."""
        return self.c.records[k]

    def uniform(self, stream: str, k: int) -> float:
        """Customer k's uniform of `stream` this month."""
        return float(self.market.draws.at(stream, np.array([k]))[0])


def test_the_chosen_uniforms_lie_where_the_case_wants():
    case = Case([1, 1], [3, 3], [{"purchase": below(0.3), "basket": above(0.7)}, {"purchase": above(0.3)}])
    assert 0.3 - WIDTH <= case.uniform("purchase", 0) < 0.3 <= case.uniform("purchase", 1) < 0.3 + WIDTH
    assert 0.7 <= case.uniform("basket", 0) < 0.7 + WIDTH


def test_acquisition_trial_at_trial_rate_times_rung_chance():
    chance = 0.15 * 0.35  # trial rate x rung 3's (switcher's) purchase chance
    case = Case(
        [0, 0, 0], [2, 2, 2], [{"purchase": below(chance)}, {"purchase": above(chance)}, {"purchase": over(chance)}]
    )
    tried = [acquisition.step(case.r(k), case.p, case.u, k == 2, T) for k in range(3)]
    assert tried == [True, False, True]  # a cohort entrant (the third) tries for certain
    c = case.c
    assert (c.stage[0], c.products[0], c.acquired_month[0], c.acquisition[0]) == (EXPLORATION, 1, T, 150.0)
    assert c.stage[1] == AWARENESS and c.acquisition[1] == 0.0


def test_interactions_build_credibility_and_intimacy_and_cost():
    case = Case(
        [1, 1, 1], [3, 3, 3], [{"interaction": below(0.10)}, {"interaction": above(0.10)}, {"interaction": below(0.10)}]
    )
    rate, _, _, invest, _ = portfolio.effects(case.r(0), case.p)
    assert (rate, invest) == (0.10, 0.0)  # the transactional posture's rate, no portfolio action
    for k in range(3):
        interactions.step(case.r(k), case.p, case.u, k < 2, rate, invest)  # the third is new this month
    c = case.c
    assert c.credibility[0] == pytest.approx(0.3 + 0.10 * 0.7)
    assert c.intimacy[0] == pytest.approx(0.3 + 0.08 * 0.1 * 0.7)  # times closeness 0.1
    assert list(c.cost) == [15.0, 0.0, 0.0] and c.credibility[1] == c.credibility[2] == 0.3


def test_purchases_revenue_is_wallet_times_share_times_basket():
    sc = Scenario(purchasing={"basket_cv": 0.0})
    # expansion (stage factors 1): rung 4 buys with 0.55; exploration: 0.55 x 0.8 = 0.44 and baskets x 0.6
    wanted = [
        {"purchase": below(0.55)},
        {"purchase": above(0.55)},
        {"purchase": below(0.44)},
        {"purchase": above(0.44)},
    ]
    case = Case([2, 2, 1, 1], [3, 3, 3, 3], wanted, sc)
    case.c.share_of_wallet[:] = 0.2
    got = [purchases.step(case.r(k), case.p, case.u, False, 3, case.c.stage[k], (1.0, 1.0, 1.0)) for k in range(4)]
    c = case.c
    assert [buy for buy, _, _ in got] == [True, False, True, False]
    assert c.revenue[0] == pytest.approx(1000.0 * 0.2) and c.revenue[1] == 0.0
    assert c.revenue[2] == pytest.approx(1000.0 * 0.2 * 0.6)
    # 1 of 4 products held: coverage 1/4, target share = 0.35 x (1 + 0 - 0) x 1/4
    assert got[0][1:] == pytest.approx((0.25, 0.35 / 4))
    assert c.cost[0] == pytest.approx(10.0 + 0.03 * 200.0) and c.cost[1] == 10.0  # fixed plus variable cost to serve
    assert list(c.purchases) == [1, 0, 1, 0]


def test_a_basket_is_lognormal_with_mean_one():
    # Near the normal's 84th percentile (z about 1); cv 0.5: sigma^2 = log(1.25).
    case = Case([2], [3], [{"purchase": below(0.55), "basket": below(0.8413)}], Scenario(purchasing={"basket_cv": 0.5}))
    case.c.share_of_wallet[:] = 0.2
    purchases.step(case.r(0), case.p, case.u, False, 3, EXPANSION, (1.1, 1.0, 1.0))  # a price 10% over list
    s2 = math.log(1.25)
    size = math.exp(math.sqrt(s2) * ndtri(case.uniform("basket", 0)) - s2 / 2)
    assert case.c.revenue[0] == pytest.approx(1000.0 * 0.2 * 1.1 * size, rel=1e-9)


def test_service_failure_hurts_reliability_and_recovery_costs():
    fail = 0.1 * (1 + 0.5) * (1 - 0.6 * 0.6)  # base x (1 + transaction uncertainty) x (1 - effect x transfer ability)
    wanted = [
        {"service.failure": below(fail), "service.recovery": below(0.2)},  # conflict resolution 0.2
        {"service.failure": above(fail)},
        {"service.failure": below(fail), "service.recovery": above(0.2)},
        {"service.failure": below(fail)},  # bought nothing
    ]
    case = Case([1] * 4, [3] * 4, wanted)
    case.c.transaction_u[:] = 0.5
    got = [service.step(case.r(k), case.p, case.u, k < 3) for k in range(4)]
    assert got == [(True, True), (False, False), (True, False), (False, False)]
    c = case.c
    assert c.reliability[0] == c.reliability[2] == pytest.approx(0.3 - min(0.2 * 1.5, 1.0) * 0.3)
    assert c.reliability[1] == pytest.approx(0.3 + 0.05 * 0.7) and c.reliability[3] == 0.3
    assert list(c.cost) == [25.0, 0.0, 0.0, 0.0]


def test_a_first_success_sets_satisfaction_to_its_experience():
    case = Case([1], [3])
    satisfaction.step(case.r(0), case.p, EXPLORATION, False, False)
    # success 0.5, fit = 1 - |0.1 - 0.5| = 0.6: 0.5 x 0.5 + 0.5 x (2 x 0.6 - 1)
    assert case.c.satisfaction[0] == pytest.approx(0.5 * 0.5 + 0.5 * 0.2)
    assert case.c.experiences[0] == 1


def test_commitment_moves_towards_trust_and_lock_in():
    case = Case([1], [3])
    case.c.affective[0] = 0.1
    trust_level, switching, dependence = commitment.step(case.r(0), case.p, 0.25)
    c = case.c
    assert trust_level == pytest.approx(0.3)
    assert (switching, dependence) == pytest.approx(
        (0.4 * 0.25, 0.5 * 0.25)
    )  # no linkage under the transactional posture
    assert c.affective[0] == pytest.approx(0.1 + 0.1 * (0.3 - 0.1))
    target = 0.5 * (switching + dependence) - 0.5 * (0.3 - 0.5)
    assert c.calculative[0] == pytest.approx(0.1 * target)


def test_share_of_wallet_closes_a_fifth_of_the_gap():
    case = Case([1], [3])
    case.c.share_of_wallet[0] = 0.1
    share_of_wallet.step(case.r(0), case.p, 0.3)
    assert case.c.share_of_wallet[0] == pytest.approx(0.1 + 0.2 * 0.2)


# On rung 4 with trust 0.3, satisfaction 0.5 and affective commitment 0.2, the drive is
# 0.5 x 0.3 + 0.3 x 0.5 + 0.2 x 0.2 = 0.34: it climbs with 0.15 x logistic(10 x (0.34 - 0.35)) and drops with
# 0.10 x logistic(10 x (0.25 - 0.34)).
CLIMB, DROP = 0.15 / (1 + math.exp(0.1)), 0.10 / (1 + math.exp(0.9))


def on_rung_4(wanted, scenario: Scenario | None = None) -> Case:
    """Customers in exploration on rung 4 with the drive 0.34."""
    case = Case([1] * len(wanted), [3] * len(wanted), wanted, scenario)
    case.c.satisfaction[:], case.c.affective[:] = 0.5, 0.2
    return case


def test_ladder_climbs_on_drive_and_drops_below_it_or_after_an_unresolved_failure():
    wanted = [
        {"ladder.up": below(CLIMB)},
        {"ladder.up": above(CLIMB), "ladder.down": over(DROP)},
        {"ladder.up": over(CLIMB), "ladder.down": below(DROP)},
        {"ladder.up": over(CLIMB), "ladder.down": above(DROP)},
        {"ladder.up": over(CLIMB), "ladder.down": over(DROP)},  # shaken by an unresolved failure
    ]
    case = on_rung_4(wanted)
    spending = Kernel(case.market).spending
    spent = [ladder.step(case.r(k), case.p, spending, case.u, k == 4) for k in range(5)]
    assert list(case.c.rung) == [4, 3, 2, 3, 2] and spent == [0.0] * 5


def test_migration_spend_buys_a_move_and_is_charged():
    sc = Scenario(migration={"spend": [0, 0, 0, 20.0, 0, 0, 0, 0]})
    move = 0.10 * (1 - math.exp(-20.0 / 20.0))  # p_max x (1 - e^(-spend / scale))
    wanted = [
        {"ladder.up": over(CLIMB), "migration": below(move)},
        {"ladder.up": over(CLIMB), "migration": above(move), "ladder.down": over(DROP)},
    ]
    case = on_rung_4(wanted, sc)
    spending = Kernel(case.market).spending
    spent = [ladder.step(case.r(k), case.p, spending, case.u, False) for k in range(2)]
    assert list(case.c.rung) == [4, 3]
    assert spent == [20.0, 20.0] and list(case.c.cost) == [20.0, 20.0]


def test_stages_move_with_trust_and_record_commitment():
    # trust 0.3, satisfaction 0.2, affective and calculative commitment 0.5, share of wallet 0.6: every chance
    # lies on the steep part of its logistic (steepness 10)
    expand = 0.25 / (1 + math.exp(-10 * (0.3 + 0.5 * 0.2 - 0.35)))
    gap = 10 * ((0.3 + 0.5 * (0.5 + 0.5) + 0.6) / 3 - 0.55)
    commit, regress = 0.15 / (1 + math.exp(-gap)), 0.10 / (1 + math.exp(gap))
    chances = [expand, expand, commit, commit, regress, regress, expand]
    wanted = [{"stage": (below if k % 2 == 0 else above)(x)} for k, x in enumerate(chances)]
    case = Case([1, 1, 2, 2, 3, 3, 1], [5] * 7, wanted)
    c = case.c
    c.purchases[:6], c.purchases[6] = 5, 1  # the last has not bought the two purchases exploration asks
    c.affective[:], c.calculative[:] = 0.5, 0.5
    for k in range(7):
        stages.step(case.r(k), case.p, case.u, T, 0.3, 0.2, 0.6)
    assert list(c.stage) == [EXPANSION, EXPLORATION, COMMITMENT, EXPANSION, EXPANSION, COMMITMENT, EXPLORATION]
    assert list(c.commitment_month[:4]) == [-1, -1, T, -1]


def test_competitor_pulls_an_approached_customer_away():
    offer = 0.04 * (1 + 2.0 * 0.5)  # offer rate x (1 + effect x market uncertainty)
    # exploration's shift 0.5, intercept -1.5, price sensitivity 0.9 on rung 3; no lock-in, commitment or satisfaction
    switch = 1 / (1 + math.exp(-(0.5 - 1.5 + 2.0 * 0.9)))
    wanted = [
        {"competitor.offer": below(offer), "competitor.switch": below(switch)},
        {"competitor.offer": above(offer), "competitor.switch": below(switch)},
        {"competitor.offer": below(offer), "competitor.switch": above(switch)},
    ]
    case = Case([1, 1, 1], [2, 2, 2], wanted)
    got = [competition.step(case.r(k), case.p, case.u, EXPLORATION, 0.0, 0.0, 0.0) for k in range(3)]
    assert got == [True, False, False]


def test_dissolution_ends_relationships_at_the_hazard():
    base = 1.5 * 0.01  # exploration's factor x base hazard (no satisfaction, trust 0.5, no lock-in)
    shocked = base + 1.5 * 0.05 * 0.5  # an unresolved failure: exploration's sensitivity x shock x uncertainty 0.5
    chances = [base, base, shocked, shocked]
    wanted = [{"dissolution": (below if k % 2 == 0 else above)(x)} for k, x in enumerate(chances)]
    case = Case([1] * 4, [3] * 4, wanted)
    case.c.transaction_u[:] = 0.5
    got = [dissolution.step(case.r(k), case.p, case.u, EXPLORATION, 0.0, 0.5, 0.0, k >= 2) for k in range(4)]
    assert got == [True, False, True, False]


def test_prospects_who_do_not_try_lose_interest():
    # Run in the compiled pass itself: a prospect that does not try leaves at the prospect exit rate, 0.01.
    no_trial = {"purchase": over(0.15 * 0.35)}
    case = Case([0, 0], [2, 2], [no_trial | {"dissolution": below(0.01)}, no_trial | {"dissolution": above(0.01)}])
    Kernel(case.market).month(case.market, T)
    c = case.c
    assert list(c.stage) == [DISSOLUTION, AWARENESS]
    assert (c.cause[0], c.dissolved_month[0]) == (Cause.PROSPECT_LOST, T)


def test_trust_components_drift_back_without_contact():
    case = Case([1], [3])
    case.c.credibility[0], case.c.self_orientation[0] = 0.8, 1.5
    trust.drift(case.r(0), case.p)
    assert case.c.credibility[0] == pytest.approx(0.8 + 0.01 * (0.3 - 0.8))
    assert case.c.intimacy[0] == pytest.approx(0.3)
    assert case.c.self_orientation[0] == pytest.approx(1.5 + 0.1 * (1.2 - 1.5))
    assert trust.green_trust(0.3, 0.6, 0.9, 2.0) == pytest.approx(0.3)


def test_advocates_refer_a_prospect_who_enters_next_month():
    sc = Scenario(purchasing={"referral_rate": [0.0] * 6 + [0.4, 0.0]})  # only rung 7 refers
    wanted = [{"referral": below(0.4)}, {"referral": above(0.4)}, {"referral": below(0.4)}]
    case = Case([1, 1, 1], [6, 6, 2], wanted, sc, capacity=4)
    referring = np.array([k for k in range(3) if referrals.refers(case.r(k), case.p, case.u)])
    assert list(referring) == [0]
    case.market.month = T
    env = Clock()
    referrals.step(Month(case.market, env, T, referring, np.zeros(0, dtype=np.int64)))
    env.run()
    c = case.c
    assert c.n == 4 and list(c.referrals[:3]) == [1, 0, 0]
    assert (c.referred_by[3], c.entered[3], c.stage[3]) == (0, T + 1, AWARENESS)


def test_growth_episodes_start_for_eligible_customers_only():
    sc = Scenario(
        strategy={"account_growth": "foot_in_the_door"}, account_growth={"foot_in_the_door": {"offer_rate": 0.4}}
    )
    wanted = [{"growth.start": below(0.4)}, {"growth.start": above(0.4)}] + [{"growth.start": below(0.4)}] * 3
    case = Case([1, 1, 0, 1, 4], [3] * 5, wanted, sc)
    case.c.products[3] = sc.firm.max_products
    # A prospect, a customer holding every product and a dissolved one are not eligible, whatever the draw.
    candidates = np.array([k for k in range(5) if growth.candidate(case.r(k), case.p, case.u)])
    assert list(candidates) == [0]
    growth_strategies.step(Month(case.market, Clock(), T, np.zeros(0, dtype=np.int64), candidates))
    assert list(case.c.in_episode) == [True, False, False, False, False]


def test_investments_build_bonds_that_act_on_drivers_and_fade():
    spend = [0.0, 0.0, 0.0, 20.0, 0.0, 0.0, 0.0, 0.0]  # rung 4 only
    sc = Scenario(
        investments={"social": {"spend": spend}, "structural": {"spend": spend}, "financial": {"spend": spend}}
    )
    case = Case([1, 1], [3, 2], scenario=sc)
    spending = Kernel(case.market).spending
    spent = [investments.step(case.r(k), case.p, spending, case.c.rung[k]) for k in range(2)]
    c = case.c
    grown = 0.10 * (1 - np.exp(-1.0))  # social: effect 0.10, scale 20
    assert c.social_bond[0] == pytest.approx(grown * (1 - 0.05)) and c.social_bond[1] == 0.0
    assert c.credibility[0] == pytest.approx(0.3 + grown * 0.10 * 0.7)  # acts before it fades
    structural = 0.08 * (1 - np.exp(-20.0 / 30.0))
    assert c.linkage[0] == pytest.approx(structural)
    assert c.financial_bond[0] == pytest.approx(0.20 * (1 - np.exp(-2.0)) * 0.5)
    assert spent == [60.0, 0.0] and (c.cost[0], c.cost[1]) == (60.0, 0.0)  # three types at 20 each, only on rung 4
