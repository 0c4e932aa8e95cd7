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

import numpy as np
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


class DecisionRound:
    """Foot-in-the-door decisions due at one moment: decided together, each read by its own customer's process.

    Every decision falls half a month after a whole month (episodes start at
    month boundaries), so many customers decide at the same instant.  The
    round's first callback decides them all with the vectorised behaviour
    functions; each episode process then resumes and reads its own outcome.
    Decisions of different customers share no state, so this gives exactly
    what deciding one by one would.
    """

    def __init__(self, env: simpy.Environment, market: Market, when: float) -> None:
        self.env = env
        self.when = when
        self.market = market
        self.pending: list[tuple[int, int, float, int, float]] = []  # customer, step, size, accepted, months since
        self.first: np.ndarray = np.zeros(0, dtype=np.int64)  # customers whose sequence starts with this decision
        self.event = env.timeout(when - env.now)
        self.event.callbacks.append(self._decide)
        self.go: np.ndarray = np.zeros(0, dtype=bool)

    def open_sequences(self, customers: np.ndarray) -> None:
        """First offers of new foot-in-the-door sequences; a customer's process starts only if it says yes."""
        self.first = np.concatenate([self.first, customers])

    def join(self, j: int, step: int, size: float, accepted: int, since: float) -> int:
        """Put customer j's next decision in this round; returns its place for reading the outcome."""
        self.pending.append((j, step, size, accepted, since))
        return len(self.pending) - 1

    def _decide(self, _event: simpy.Event) -> None:
        m = self.market
        c, p, top = m.c, m.sc.account_growth.foot_in_the_door, m.sc.firm.max_products
        m.forget_round(self)
        n_first = len(self.first)
        # New sequences decide on their first (small) offer together with the running ones.
        first = [(int(j), 0, float(p.initial_size), 0, p.decision_months) for j in self.first]
        if not first and not self.pending:
            return
        j, step, size, accepted, since = (np.array(col) for col in zip(*(first + self.pending)))
        offer = np.minimum(np.rint(size).astype(np.int64), top - c.products[j])
        live = np.flatnonzero((offer > 0) & (c.stage[j] != DISSOLUTION))
        jl = j[live]
        c.cost[jl] += p.offer_cost
        c.offers[jl] += 1
        u = m.episode_uniforms(jl, step[live])
        yes = u[:, 0] < bh.fitd_acceptance(c.trust(jl), c.fit[jl], offer[live] / top, accepted[live], since[live], p)
        jy = jl[yes]
        c.accepted[jy] += 1
        c.products[jy] += offer[live][yes].astype(c.products.dtype)
        go = np.zeros(len(j), dtype=bool)
        go[live[yes]] = judge(m, jy, p, u[yes, 1], u[yes, 2])
        self.go = go[n_first:]
        # A first "yes" starts the customer's own process for the rest of the sequence; a "no" ends it here.
        c.in_episode[j[:n_first][~go[:n_first]]] = False
        for k in np.flatnonzero(go[:n_first]):
            self.env.process(foot_in_the_door(self.env, m, int(j[k])))


def foot_in_the_door(env: simpy.Environment, market: Market, j: int) -> Episode:
    """The rest of a foot-in-the-door sequence after the customer said yes to the small first offer.

    The market decides every sequence's first offer in bulk (most customers
    stop at the first "no"), so a customer's process starts only after a yes.
    One SimPy event per decision: an offer is made `decision_months` before
    its decision, and its selling cost is booked when the customer decides.
    """
    c, p = market.c, market.sc.account_growth.foot_in_the_door
    decision, interval, growth = p.decision_months, p.interval_months, p.growth_factor
    size, accepted, wait = p.initial_size * growth, 1, interval + decision
    for step in range(1, p.max_steps):
        rnd = market.decision_round(env, env.now + wait)
        # Months since the last decision: the consistency uplift fades and asking too soon backfires.
        k = rnd.join(j, step, size, accepted, wait)
        yield rnd.event
        if not rnd.go[k]:
            break  # a "no", nothing left to offer, or the relationship ended
        accepted += 1
        size *= growth
        wait = interval + decision
    c.in_episode[j] = False


def all_at_once(env: simpy.Environment, market: Market, j: int) -> Episode:
    """One comprehensive offer of the full range; the customer takes longer to decide."""
    c, sc = market.c, market.sc
    p = sc.account_growth.all_at_once
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
            judge(market, np.array([j]), p, np.array([u[1]]), np.array([u[2]]))
    c.in_episode[j] = False


GROWTH: dict[str, Callable[[simpy.Environment, Market, int], Episode]] = {
    "foot_in_the_door": foot_in_the_door,
    "all_at_once": all_at_once,
}
