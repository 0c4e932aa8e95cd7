"""Sparse episodes: growth-offer sequences and referrals, as SimPy processes that run between monthly steps.

Each month the market starts one process per kind of episode for the
customers whose episode begins that month (a cohort).  The process moves the
cohort through time and applies the vectorised behaviour functions to the
customers who are due; a customer who drops out of the episode leaves the
cohort.  Customers never share state inside an episode, so this gives exactly
what one process per customer would, at a fraction of the events (see the
bare one-process-per-customer design in ``bench/throughput.py``).

An episode reads and writes its customers' entries in the market's arrays.
Its random numbers come from the market's block for the month in which each
decision falls (row = customer, columns reserved for episodes), so the same
customer meets the same draws under every strategy.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import numpy as np
import simpy

from sim.engine import behaviour as bh
from sim.stages import DISSOLUTION, Cause

Market = Any  # the market whose arrays an episode reads and writes (sim.engine.market.Market)

Episode = Generator[simpy.Event, Any, None]


def referrals(env: simpy.Environment, market: Market, referrers: np.ndarray, delays: np.ndarray) -> Episode:
    """Advocates' referrals: each reaches a new prospect from the pool after its delay (< 1 month)."""
    start = env.now
    for k in np.argsort(delays, kind="stable"):
        yield env.timeout(start + delays[k] - env.now)
        market.admit_referral(int(referrers[k]))


def judge(market: Market, idx: np.ndarray, p: Any, u_value: np.ndarray, u_end: np.ndarray) -> np.ndarray:
    """After accepted offers: do the customers value them?  If not, trust suffers and the tie may end.

    Vectorised over customers `idx`; returns which relationships go on.
    """
    c, st = market.c, market.sc.satisfaction
    valued = c.fit[idx] + p.value_noise * (u_value - 0.5) >= p.poor_fit_threshold
    market.experience(idx, np.where(valued, st.success_value, -st.failure_severity))
    # Seed 000: FITD limitations -- a poor fit, or value not recognised, damages the relationship.
    hurt = idx[~valued]
    c.credibility[hurt] *= 1.0 - p.trust_damage
    c.self_orientation[hurt] += p.self_orientation_damage
    ended = ~valued & (u_end < p.dissolution_on_damage)
    market.dissolve(idx[ended], Cause.POOR_FIT)
    return ~ended


def fitd_decisions(market: Market, j: np.ndarray, step: int, size: float, since: float) -> np.ndarray:
    """Customers `j` decide on foot-in-the-door offer number `step` (from 0); returns who said yes and goes on.

    The offer is `size` products, capped by what the customer does not hold
    yet; a customer with nothing left to buy, or no longer in a relationship,
    gets no offer.  A sequence goes on only after a yes, so every customer
    here accepted all `step` earlier offers, the last one `since` months ago.
    The offer's selling cost is booked at the decision.
    """
    c, p, top = market.c, market.sc.account_growth.foot_in_the_door, market.sc.firm.max_products
    offer = np.minimum(int(np.rint(size)), top - c.products[j])
    live = np.flatnonzero((offer > 0) & (c.stage[j] != DISSOLUTION))
    jl = j[live]
    c.cost[jl] += p.offer_cost
    c.offers[jl] += 1
    u = market.episode_uniforms(jl, step)
    yes = u[:, 0] < bh.fitd_acceptance(c.trust(jl), c.fit[jl], offer[live] / top, step, since, p)
    jy = jl[yes]
    c.accepted[jy] += 1
    c.products[jy] += offer[live][yes].astype(c.products.dtype)
    go = np.zeros(len(j), dtype=bool)
    go[live[yes]] = judge(market, jy, p, u[yes, 1], u[yes, 2])
    return go


def foot_in_the_door(env: simpy.Environment, market: Market, cohort: np.ndarray) -> simpy.Process:
    """Foot-in-the-door sequences that start this month: a small offer, then larger ones while the answer is yes.

    An offer is made `decision_months` before its decision; after a yes the
    next offer follows `interval_months` later, `growth_factor` times larger,
    up to `max_steps` offers.  A "no", nothing left to offer or the end of
    the relationship ends a customer's sequence.
    """
    # The first wait is scheduled here, inside the monthly step, so that a decision due exactly at a
    # month boundary is taken before that month's step, as every later decision of the sequence is.
    first = env.timeout(market.sc.account_growth.foot_in_the_door.decision_months)
    return env.process(_fitd_sequence(env, market, cohort, first))


def _fitd_sequence(env: simpy.Environment, market: Market, cohort: np.ndarray, first: simpy.Event) -> Episode:
    c, p = market.c, market.sc.account_growth.foot_in_the_door
    size, since, wait = float(p.initial_size), p.decision_months, first
    for step in range(p.max_steps):
        yield wait
        go = fitd_decisions(market, cohort, step, size, since)
        c.in_episode[cohort[~go]] = False
        cohort = cohort[go]
        if not len(cohort):
            return
        size *= p.growth_factor
        since = p.interval_months + p.decision_months
        wait = env.timeout(since)
    c.in_episode[cohort] = False


def all_at_once(env: simpy.Environment, market: Market, cohort: np.ndarray) -> simpy.Process:
    """Comprehensive offers of the full range made this month; each customer decides after an exponential time."""
    return env.process(_all_at_once_offers(env, market, cohort))


def _all_at_once_offers(env: simpy.Environment, market: Market, cohort: np.ndarray) -> Episode:
    c, p = market.c, market.sc.account_growth.all_at_once
    c.cost[cohort] += p.offer_cost
    at = env.now - p.decision_months * np.log1p(-market.start_uniforms(cohort))  # exponential decision times
    # Between two monthly steps nothing but its own episode touches a customer, so the decisions that
    # fall in one month are taken together, at the first of them: same draws, same state, same month.
    order = np.argsort(at, kind="stable")
    month = np.floor(at[order])
    for due in np.split(order, np.flatnonzero(np.diff(month)) + 1):
        yield env.timeout(at[due[0]] - env.now)
        all_at_once_decisions(market, cohort[due])


def all_at_once_decisions(market: Market, j: np.ndarray) -> None:
    """Customers `j` decide on the comprehensive offer; whatever they decide, their episode ends."""
    c, sc = market.c, market.sc
    p = sc.account_growth.all_at_once
    c.in_episode[j] = False
    j = j[c.stage[j] != DISSOLUTION]
    u = market.episode_uniforms(j, 0)
    c.offers[j] += 1
    accept = bh.all_at_once_acceptance(c.trust(j), c.fit[j], c.wallet[j] / p.reference_wallet, c.need_u[j], sc.firm.problem_solving_ability, p)
    yes = u[:, 0] < accept
    jy = j[yes]
    c.accepted[jy] += 1
    c.products[jy] = sc.firm.max_products
    judge(market, jy, p, u[yes, 1], u[yes, 2])


GROWTH: dict[str, Callable[[simpy.Environment, Market, np.ndarray], simpy.Process]] = {
    "foot_in_the_door": foot_in_the_door,
    "all_at_once": all_at_once,
}
