"""Per-customer episodes: SimPy processes started when an episode begins.

An episode reads and writes its customer's entries in the market's arrays.
Its random numbers come from the market's block for the month in which each
decision falls (row = customer, columns reserved for episodes), so the same
customer meets the same draws under every strategy.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any

import simpy

from sim import behaviour as bh
from sim.stages import DISSOLUTION, Cause

if TYPE_CHECKING:
    from sim.market import Market

Episode = Generator[simpy.Event, Any, None]


def referral(env: simpy.Environment, market: Market, referrer: int, delay: float) -> Episode:
    """An advocate's referral reaches a new prospect after `delay` months (< 1)."""
    yield env.timeout(delay)
    market.admit_referral(referrer)


def _judge(market: Market, j: int, p: Any, u_value: float, u_end: float) -> bool:
    """After an accepted offer: does the customer value it?  If not, trust suffers and the tie may end.

    Returns False when the relationship ended.
    """
    c = market.c
    perceived = float(c.fit[j]) + p.value_noise * (u_value - 0.5)
    st = market.sc.satisfaction
    if perceived >= p.poor_fit_threshold:
        market.experience(j, st.success_value)
        return True
    # Seed 000: FITD limitations -- a poor fit, or value not recognised, damages the relationship.
    c.credibility[j] *= 1.0 - p.trust_damage
    c.self_orientation[j] += p.self_orientation_damage
    market.experience(j, -st.failure_severity)
    if u_end < p.dissolution_on_damage:
        market.dissolve(j, Cause.POOR_FIT)
        return False
    return True


def foot_in_the_door(env: simpy.Environment, market: Market, j: int) -> Episode:
    """A foot-in-the-door sequence: a small offer, then larger ones while the customer says yes.

    One SimPy event per decision: an offer is made `decision_months` before
    its decision, and its selling cost is booked when the customer decides.
    """
    c, p = market.c, market.sc.account_growth.foot_in_the_door
    max_products = market.sc.firm.max_products
    decision, interval, growth = p.decision_months, p.interval_months, p.growth_factor
    c.in_episode[j] = True
    size, accepted, wait = float(p.initial_size), 0, decision
    for step in range(p.max_steps):
        yield env.timeout(wait)
        offer = min(int(round(size)), max_products - int(c.products[j]))
        if offer <= 0 or c.stage[j] == DISSOLUTION:
            break
        c.cost[j] += p.offer_cost
        c.offers[j] += 1
        u = market.uniforms(j, step)
        # Months since the last decision: the consistency uplift fades and asking too soon backfires.
        since = wait if step else decision
        if u[0] >= bh.fitd_acceptance(market.trust_of(j), float(c.fit[j]), offer / max_products, accepted, since, p):
            break  # a "no" ends the sequence
        accepted += 1
        c.accepted[j] += 1
        c.products[j] += offer
        if not _judge(market, j, p, u[1], u[2]):
            break
        size *= growth
        wait = interval + decision
    c.in_episode[j] = False


def all_at_once(env: simpy.Environment, market: Market, j: int) -> Episode:
    """One comprehensive offer of the full range; the customer takes longer to decide."""
    c, sc = market.c, market.sc
    p = sc.account_growth.all_at_once
    c.in_episode[j] = True
    c.cost[j] += p.offer_cost
    delay = -p.decision_months * math.log1p(-market.start_uniform(j))  # exponential decision time
    yield env.timeout(delay)
    if c.stage[j] != DISSOLUTION:
        u = market.uniforms(j, 0)
        c.offers[j] += 1
        accept = bh.all_at_once_acceptance(
            market.trust_of(j), float(c.fit[j]), float(c.wallet[j]) / p.reference_wallet, float(c.need_u[j]), sc.firm.problem_solving_ability, p
        )
        if u[0] < accept:
            c.accepted[j] += 1
            c.products[j] = sc.firm.max_products
            _judge(market, j, p, u[1], u[2])
    c.in_episode[j] = False


GROWTH: dict[str, Callable[[simpy.Environment, Market, int], Episode]] = {
    "foot_in_the_door": foot_in_the_door,
    "all_at_once": all_at_once,
}
