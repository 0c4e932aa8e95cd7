"""The agent month in numpy, mechanism by mechanism over the customer arrays: the compiled kernel's test oracle.

This was the engine's month before the compiled kernel (:mod:`sim.engine.kernel`).
It stays here, outside the product, to check the kernel's loop: ``test_kernel.py``
shows the kernel gives the same tables on the reference configurations.  It
uses the same pure formulas as the kernel (:mod:`sim.engine.mechanisms`), so
it checks the order of the mechanisms and the books, not the formulas: the
hand-worked cases of ``test_mechanisms.py`` check those, on the kernel's own
compiled functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from scipy.special import expit as logistic
from scipy.special import ndtri

from optimize.response import migration_probability as saturating
from sim.engine.episodes import Clock
from sim.engine.kernel.books import close_month, open_month
from sim.engine.mechanisms import referrals
from sim.engine.mechanisms.commitment import calculative_target
from sim.engine.mechanisms.competition import switch_probability
from sim.engine.mechanisms.dissolution import dissolution_hazard
from sim.engine.mechanisms.ladder import climb_probability, drop_probability, ladder_drive, migrate
from sim.engine.mechanisms.purchases import basket, share_of_wallet_target
from sim.engine.mechanisms.satisfaction import experience, posture_fit, update_satisfaction
from sim.engine.mechanisms.service import failure_probability
from sim.engine.mechanisms.trust import green_trust
from sim.engine.strategies import growth as growth_strategies
from sim.engine.strategies import portfolio, pricing
from sim.engine.strategies.portfolio import INVEST, REPRICE, STREAMLINE
from sim.engine.strategies.prospecting import recall
from sim.stages import AWARENESS, COMMITMENT, DISSOLUTION, EXPANSION, EXPLORATION, Cause


def happens(who: np.ndarray, u: np.ndarray, chance: Callable[..., np.ndarray], *per_customer: np.ndarray) -> np.ndarray:
    """Whether an event happens to each customer in mask `who`: ``u < chance(*per_customer)``.

    The chance is evaluated only for the customers in `who`: the expensive
    probabilities (logistic, exponential) concern a fraction of the market.
    """
    idx = np.flatnonzero(who)
    out = np.zeros(len(who), dtype=bool)
    out[idx] = u[idx] < chance(*(x[idx] for x in per_customer))
    return out


class Month:
    """One month of the agent model: shared context and the results mechanisms hand on to each other."""

    def __init__(self, market: Any, env: Clock, t: int) -> None:
        self.market, self.env, self.t = market, env, t
        self.scenario, self.customers, self.draws = market.scenario, market.customers, market.draws
        self.n = self.customers.n
        stage = self.customers.stage[: self.n]
        self.alive = stage != DISSOLUTION  # at the start of the month
        self.prospect = stage == AWARENESS
        self.trial = np.zeros(self.n, dtype=bool)  # prospects who try a product this month
        self.rel = np.zeros(0, dtype=np.int64)  # customers in a relationship this month, today's triers included
        self.new = np.zeros(0, dtype=bool)  # over rel: tried this month
        self.old = np.zeros(0, dtype=bool)  # over rel: in a relationship before this month

    def enter_relationships(self) -> None:
        """Fix who is stepped as a customer this month (after the trials) and gather their characteristics."""
        c = self.customers
        self.rel = np.flatnonzero((self.alive & ~self.prospect) | self.trial)
        self.new = self.trial[self.rel]
        self.old = ~self.new
        rel = self.rel
        self.rung = c.rung[rel]  # rung at the start of the month
        self.stage = c.stage[rel]  # stage at the start of the month (today's triers: exploration)
        self.need_u, self.market_u, self.transaction_u = c.need_u[rel], c.market_u[rel], c.transaction_u[rel]

    def u(self, purpose: str) -> np.ndarray:
        """This month's uniforms of `purpose` for the customers in a relationship."""
        return self.draws(purpose)[self.rel]

    @property
    def referring(self) -> np.ndarray:
        """Customers still in the market whose referral uniform falls below their rung's rate (the kernel's list)."""
        c, n = self.customers, self.n
        rates = np.asarray(self.scenario.purchasing.referral_rate)
        return np.flatnonzero((c.stage[:n] != DISSOLUTION) & (self.draws("referral")[:n] < rates[c.rung[:n]]))

    @property
    def candidates(self) -> np.ndarray:
        """Customers in a relationship with products left to buy and no episode under way.

        The kernel also drops those whose start draw is above the rate; `growth.starters` asks that draw anyway.
        """
        c, n = self.customers, self.n
        stage = c.stage[:n]
        in_relationship = (stage != DISSOLUTION) & (stage != AWARENESS)
        return np.flatnonzero(in_relationship & (c.products[:n] < self.scenario.firm.max_products) & ~c.in_episode[:n])


def policy_effects(m: Month) -> None:
    """This month's interaction rate, cost factor and price of each customer in a relationship, given its action."""
    sc = m.scenario
    post, pp, offer = sc.posture, sc.portfolio_policy, sc.offering
    act = m.customers.action[m.rel]
    m.invest, m.streamline, m.reprice = act == INVEST, act == STREAMLINE, act == REPRICE
    m.interaction_rate = np.minimum(
        (post.interaction_rate + m.invest * pp.invest_interactions) * (1.0 - m.streamline * pp.streamline_interactions),
        1.0,
    )
    m.cost_factor = offer.cost_factor * (1.0 - m.streamline * pp.streamline_saving)
    m.price = post.price_index * offer.price_factor * (1.0 + m.reprice * pp.price_rise)


def acquisition(m: Month) -> None:
    """Prospects try at the trial rate times their rung's purchase chance; the acquisition cost is paid.

    A cohort entering this month (``population.cohorts``) tries for certain: it is acquired at its first purchase.
    """
    c, sc, t = m.customers, m.scenario, m.t
    rung = c.rung[: m.n]
    chance = sc.stages.trial_rate * np.asarray(sc.purchasing.purchase_probability)[rung]
    m.trial = m.prospect & (m.draws("purchase") < chance)
    m.trial[m.market.entering] = m.prospect[m.market.entering]  # unless the portfolio let them go
    new = np.flatnonzero(m.trial)
    c.stage[new] = EXPLORATION
    c.acquired_month[new] = t
    c.products[new] = np.maximum(c.products[new], 1)
    c.acquisition[new] += np.array([s.acquisition_cost for s in sc.segments])[c.segment[new]]


def events(m: Month) -> None:
    """Needs arise at the segment's event rate and fade; under event-oriented prospecting the CIF flags new ones."""
    c, sc, rel = m.customers, m.scenario, m.rel
    x = m.u("event") if any(s.event_rate > 0 for s in sc.segments) else np.zeros(len(rel))
    had = c.in_need[rel]
    rate = np.array([s.event_rate for s in sc.segments])[c.segment[rel]]
    arose = ~had & (x < rate)
    c.in_need[rel] = np.where(had, ~(x < 1.0 / sc.events.need_months), arose)
    if sc.strategy.prospecting != "event_oriented":
        return
    pr = sc.prospecting
    spotted = recall(c.purchases[rel], pr)
    d = m.u("event.detect")
    alarm = np.minimum(rate * spotted * (1.0 - pr.precision) / pr.precision, 1.0)
    c.flagged[rel] = np.where(arose, d < spotted, ~c.in_need[rel] & (d < alarm))
    c.cost[rel] += pr.cost


def investments(m: Month) -> None:
    """Spend each investment type in use on the customers in a relationship; bonds grow, act and fade."""
    market, c, sc, rel = m.market, m.customers, m.scenario, m.rel
    segment = c.segment[rel]
    market.recorder.count(market.recorder.relationships, m.t, segment, m.rung)
    if not market.investment_spend:
        return
    rows = market.spend_rows(rel, segment)
    for kind, table in market.investment_spend.items():
        p = getattr(sc.investments, kind)
        spend = table[rows, m.rung]
        c.cost[rel] += spend
        market.recorder.invested[m.t] += spend.sum()
        bonds = getattr(c, f"{kind}_bond")
        b = bonds[rel]
        b += saturating(spend, p.effect, p.scale) * (1.0 - b)
        bonds[rel] = b
    tr = sc.trust
    social, structural = c.social_bond[rel], c.structural_bond[rel]
    cred, intim, linkage = c.credibility[rel], c.intimacy[rel], c.linkage[rel]
    cred += social * tr.credibility_gain * (1.0 - cred)
    intim += social * tr.intimacy_gain * (1.0 - intim)
    linkage += structural * (1.0 - linkage)
    c.credibility[rel], c.intimacy[rel], c.linkage[rel] = cred, intim, linkage
    for kind in market.investment_spend:  # the bonds fade after they acted
        bonds = getattr(c, f"{kind}_bond")
        bonds[rel] *= 1.0 - getattr(sc.investments, kind).decay


def interactions(m: Month) -> None:
    """Customers in a relationship before this month meet the firm at the posture's rate (as the policy adjusts it)."""
    c, sc, rel = m.customers, m.scenario, m.rel
    post, tr = sc.posture, sc.trust
    interact = m.old & (m.u("interaction") < m.interaction_rate)
    cred, intim = c.credibility[rel], c.intimacy[rel]
    cred += interact * tr.credibility_gain * (1.0 - cred)
    intim += interact * tr.intimacy_gain * post.closeness * (1.0 - intim)
    c.credibility[rel], c.intimacy[rel] = cred, intim
    c.cost[rel] += interact * post.interaction_cost + (m.old & m.invest) * sc.portfolio_policy.invest_cost


def purchases(m: Month) -> None:
    """Who buys this month (a trial is a purchase), what it is worth, and what serving it costs."""
    c, sc, rel = m.customers, m.scenario, m.rel
    pu, post = sc.purchasing, sc.posture
    stages = sc.stages
    x, demand = terms(m)
    base = np.asarray(pu.purchase_probability)[m.rung] * stages.effect("purchase_factor")[m.stage]
    chance = np.minimum(base * demand, 1.0)
    m.buy = (m.old & (m.u("purchase") < chance)) | m.new
    m.coverage = c.products[rel] / sc.firm.max_products
    m.sow_target = share_of_wallet_target(
        np.asarray(pu.share_of_wallet)[m.rung],
        m.need_u,
        m.market_u,
        m.coverage,
        pu.need_concentration,
        pu.market_dispersion,
    )
    sow = c.share_of_wallet[rel]
    sow[m.new] = m.sow_target[m.new]  # a first purchase starts at the target share
    c.share_of_wallet[rel] = sow
    b = np.flatnonzero(m.buy)
    revenue = np.zeros(len(rel))
    premium = 1.0 + np.asarray(pu.price_premium)[m.rung[b]]
    size = basket(ndtri(m.u("basket")[b]), pu.basket_cv) * stages.effect("basket_factor")[m.stage[b]]
    revenue[b] = c.wallet[rel[b]] * sow[b] * premium * (m.price[b] * x[b]) * size
    c.cost[rel] += (post.cost_to_serve + post.cost_to_serve_share * revenue) * m.cost_factor
    c.revenue[rel] += revenue
    c.purchases[rel] += m.buy
    c.month_purchases[rel] += m.buy
    if sc.strategy.pricing == "yield_management":
        unfairness(m, x)


def terms(m: Month) -> tuple[np.ndarray, np.ndarray]:
    """Each customer's price (a multiple of list) and purchase-chance multiplier (season, price response, room)."""
    sc, c = m.scenario, m.customers
    season = pricing.season(m.t, sc.demand)
    capacity = np.inf if sc.firm.capacity is None else sc.firm.capacity
    if sc.strategy.pricing != "yield_management":
        return np.ones(len(m.rel)), np.full(len(m.rel), season * min(capacity / season, 1.0))
    ym = sc.yield_management
    sensitivity = np.asarray(sc.purchasing.price_sensitivity)[m.rung] + c.price_shift[m.rel]
    shadow = pricing.shadow_price(season, capacity)
    x = np.clip(shadow + ym.reference_sensitivity / np.maximum(sensitivity, 1e-3), ym.price_floor, ym.price_cap)
    demand = season * pricing.demand_response(x, sensitivity, ym.reference_sensitivity)
    return x, demand * np.minimum(capacity / demand, 1.0)


def unfairness(m: Month, x: np.ndarray) -> None:
    """Purchases above list cost credibility and teach price sensitivity, more for close customers."""
    c, sc, rel = m.customers, m.scenario, m.rel
    ym = sc.yield_management
    closeness = np.clip(sc.posture.closeness + sc.offering.closeness_shift, 0.0, 1.0)
    shift = c.price_shift[rel] * ym.sensitivity_memory
    amplifier = 1.0 + ym.closeness_effect * 0.5 * (closeness + c.affective[rel])
    felt = np.where(m.buy & (x > 1.0), (x - 1.0) * amplifier, 0.0)
    c.credibility[rel] *= np.maximum(1.0 - ym.unfair_trust * felt, 0.0)
    c.price_shift[rel] = shift + ym.unfair_sensitivity * felt


def service(m: Month) -> None:
    """Each purchase meets a service encounter; a failure may be resolved by the firm's conflict resolution."""
    c, sc, rel = m.customers, m.scenario, m.rel
    sv, tr, post = sc.service, sc.trust, sc.posture
    p_fail = failure_probability(
        sv.failure_probability,
        m.transaction_u,
        sv.transaction_uncertainty_effect,
        sc.firm.transfer_ability,
        sv.transfer_ability_effect,
        c.linkage[rel],
        sv.linkage_effect,
    )
    m.failed = m.buy & (m.u("service.failure") < p_fail)
    m.resolved = m.failed & (m.u("service.recovery") < post.conflict_resolution)
    m.unresolved = m.failed & ~m.resolved
    served = m.buy & ~m.failed
    rel_level = c.reliability[rel]
    rel_level += served * tr.reliability_gain * (1.0 - rel_level)
    rel_level -= m.failed * np.minimum(tr.reliability_loss * (1.0 + m.transaction_u), 1.0) * rel_level
    c.reliability[rel] = rel_level
    c.cost[rel] += m.resolved * post.recovery_cost


def satisfaction(m: Month) -> None:
    """Every purchase is an experience: its service outcome blended with how well the posture fits the customer."""
    b = np.flatnonzero(m.buy)
    if not len(b):
        return
    sc, sp = m.scenario, m.scenario.satisfaction
    closeness = np.clip(sc.posture.closeness + sc.offering.closeness_shift, 0.0, 1.0)
    fit = posture_fit(closeness, m.need_u[b], m.market_u[b])
    severity = (
        sp.failure_severity * sc.stages.effect("failure_sensitivity")[m.stage[b]]
    )  # exploration: every failure counts
    x = experience(
        m.failed[b],
        m.resolved[b],
        m.transaction_u[b],
        fit,
        sp.success_value,
        severity,
        sp.resolved_share,
        sp.fit_weight,
    )
    fold(m.customers, sc, m.rel[b], x)


def commitment(m: Month) -> None:
    """Linkages, switching costs and dependence this month; affective and calculative commitment move towards them."""
    c, sc, rel = m.customers, m.scenario, m.rel
    cm = sc.commitment
    m.trust = green_trust(c.credibility[rel], c.reliability[rel], c.intimacy[rel], c.self_orientation[rel])
    m.satisfaction = c.satisfaction[rel]
    linkage = c.linkage[rel]
    linkage += sc.posture.linkage_rate * (1.0 - linkage)
    m.switching = np.clip(cm.products_switching_weight * m.coverage + cm.linkage_switching_weight * linkage, 0.0, 1.0)
    m.dependence = m.need_u * np.maximum(m.coverage, linkage)
    aff, calc = c.affective[rel], c.calculative[rel]
    aff += cm.affective_rate * (m.trust - aff)
    calc += cm.calculative_rate * (
        calculative_target(m.switching, m.dependence, m.trust, cm.trust_on_calculative) - calc
    )
    c.linkage[rel], c.affective[rel], c.calculative[rel] = linkage, aff, calc
    m.affective, m.calculative = aff, calc


def share_of_wallet(m: Month) -> None:
    """Close a share of the gap between each customer's share of wallet and its target (set by purchases)."""
    c, rel = m.customers, m.rel
    sow = c.share_of_wallet[rel]
    sow += m.scenario.purchasing.sow_adjustment * (m.sow_target - sow)
    c.share_of_wallet[rel] = sow
    m.share_of_wallet = sow


def ladder(m: Month) -> None:
    """Every customer still in the market may climb or drop a rung; an unresolved failure can knock one down."""
    c, sc, market = m.customers, m.scenario, m.market
    ld = sc.ladder
    thresholds = np.asarray(ld.thresholds)
    shaken = np.zeros(m.n, dtype=bool)
    shaken[m.rel] = m.unresolved & (m.u("ladder.failure_drop") < ld.failure_drop * m.transaction_u)
    j = np.flatnonzero(m.alive)
    shaken = shaken[j]
    rung = c.rung[j]
    market.recorder.count(market.recorder.ladder, m.t, c.segment[j], rung)
    trust = green_trust(c.credibility[j], c.reliability[j], c.intimacy[j], c.self_orientation[j])
    drive = ladder_drive(
        trust, c.satisfaction[j], c.affective[j], ld.trust_weight, ld.satisfaction_weight, ld.affective_weight
    )
    up = m.draws("ladder.up")[j] < climb_probability(drive, rung, thresholds, ld.up_rate, ld.steepness)
    if market.migrating:
        up |= migrate(market, j, rung, m.draws("migration")[j]) & (rung < len(thresholds))
    may_drop = ~up & (rung > 0)
    k = np.flatnonzero(may_drop & ~shaken)
    drop = np.zeros(len(j), dtype=bool)
    drop[k] = m.draws("ladder.down")[j[k]] < drop_probability(drive[k], rung[k], thresholds, ld.down_rate, ld.steepness)
    down = may_drop & (shaken | drop)
    c.rung[j] = rung + (up.astype(np.int8) - down.astype(np.int8))


def stages(m: Month) -> None:
    """Move customers between exploration, expansion and commitment; record the first month in commitment."""
    c, sg, rel = m.customers, m.scenario.stages, m.rel
    u, stage = m.u("stage"), c.stage[rel]
    ready = (stage == EXPLORATION) & (c.purchases[rel] >= sg.min_purchases)
    to_expansion = happens(
        ready,
        u,
        lambda tr, s: sg.expansion_rate * logistic(sg.steepness * (tr + 0.5 * s - sg.expansion_threshold)),
        m.trust,
        m.satisfaction,
    )
    gap = sg.steepness * (
        (m.trust + 0.5 * (m.affective + m.calculative) + m.share_of_wallet) / 3.0 - sg.commitment_threshold
    )
    to_commitment = happens(stage == EXPANSION, u, lambda g: sg.commitment_rate * logistic(g), gap)
    regress = happens(stage == COMMITMENT, u, lambda g: sg.regression_rate * logistic(-g), gap)
    c.stage[rel[to_expansion]] = EXPANSION
    c.stage[rel[to_commitment]] = COMMITMENT
    c.stage[rel[regress]] = EXPANSION
    first = rel[to_commitment]
    c.commitment_month[first[c.commitment_month[first] < 0]] = m.t


def competition(m: Month) -> None:
    """Competitors approach customers in a relationship; those who take the offer leave (cause: competitor)."""
    c, sc, rel = m.customers, m.scenario, m.rel
    co = sc.competition
    approached = m.u("competitor.offer") < co.offer_rate * (1.0 + co.market_uncertainty_effect * m.market_u)
    # The rung after this month's ladder move; a price rise adds to the pull of a cheaper competitor.
    # Rewards bought with financial investments hold a customer back.
    pull = np.asarray(sc.purchasing.price_sensitivity)[c.rung[rel]] + c.price_shift[rel]
    pull = pull + m.reprice * sc.portfolio_policy.price_rise
    pull = pull - c.financial_bond[rel]
    m.switched = happens(
        approached,
        m.u("competitor.switch"),
        lambda *x: switch_probability(*x[:4], co, x[4]),
        pull,
        m.switching,
        m.affective,
        m.satisfaction,
        sc.stages.effect("switch_shift", 0.0)[m.stage],
    )
    m.market.dissolve(rel[m.switched], Cause.COMPETITOR, m.t)


def dissolution(m: Month) -> None:
    """Customers who did not switch may end the relationship; prospects who did not try may drop out."""
    sc, rel = m.scenario, m.rel
    u = m.draws("dissolution")
    ended = happens(
        ~m.switched,
        u[rel],
        lambda *x: dissolution_hazard(*x[:6], sc.dissolution, x[6:]),
        m.satisfaction,
        m.trust,
        m.calculative,
        m.dependence,
        m.unresolved,
        m.transaction_u,
        sc.stages.effect("hazard_factor")[m.stage],
        sc.stages.effect("failure_sensitivity")[m.stage],
    )
    lost = m.prospect & ~m.trial & (u < sc.stages.prospect_exit_rate)
    m.market.dissolve(rel[ended], Cause.DISSATISFACTION, m.t)
    m.market.dissolve(np.flatnonzero(lost), Cause.PROSPECT_LOST, m.t)


def trust_drift(m: Month) -> None:
    """Credibility and intimacy drift back to their initial level without contact; pushed offers are slowly forgiven."""
    c, tr, n = m.customers, m.scenario.trust, m.n
    cred, intim = c.credibility[:n], c.intimacy[:n]
    cred += tr.decay * (tr.initial - cred)
    intim += tr.decay * (tr.initial - intim)
    so = c.self_orientation[:n]
    so += tr.self_orientation_recovery * (m.scenario.firm.self_orientation - so)


#: The agent month after acquisition, in order (the kernel's order: sim.engine.kernel.agent).
MECHANISMS = (
    policy_effects,
    events,
    investments,
    interactions,
    purchases,
    service,
    satisfaction,
    commitment,
    share_of_wallet,
    ladder,
    stages,
    competition,
    dissolution,
    trust_drift,
    portfolio.review,
    referrals.step,
    growth_strategies.step,
)


def numpy_month(market: Any, env: Clock, t: int) -> None:
    """One agent month, mechanism by mechanism (monkeypatched over ``Agent.step`` by the tests)."""
    c, rec = market.customers, market.recorder
    if market.closed_by_pass and t > 0:
        close_month(c.records, c.n, *market.closing(t - 1), np.zeros(0))
    open_month(c.records, c.n, rec.occupancy(t))
    m = Month(market, env, t)
    acquisition(m)
    m.enter_relationships()
    for mechanism in MECHANISMS:
        mechanism(m)


def fold(customers, scenario, j, x) -> None:  # noqa: ANN001
    """Fold experiences `x` into the satisfaction of customers `j` (the kernel's satisfaction.step, vectorised)."""
    c, s = customers, scenario.satisfaction
    c.satisfaction[j], c.experience_weight[j] = update_satisfaction(
        c.satisfaction[j], c.experience_weight[j], c.experiences[j], x, s.negativity_bias, s.primacy, s.floor_weight
    )
    c.experiences[j] += 1
