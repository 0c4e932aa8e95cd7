"""The agent month compiled: one pass over the customers, each going through the mechanisms in order.

Each mechanism is a small compiled function of one customer in its own module
of :mod:`sim.engine.mechanisms` (``step(r, p, u, ...)``: ``r`` is the
customer's record, ``p`` the parameters, ``u`` the month's stream keys, from
which ``draw`` computes the customer's uniforms); numba inlines them here, so
this module only says in which order they run and what one hands to the next
(who bought, who had a failure, the month's trust...).  A customer's month
depends only on its own state, so the order of customers does not matter; the
portfolio review (which ranks customers against each other), referrals and
growth offers run after the pass, in numpy and SimPy (:mod:`sim.engine.modes.agent`).
"""

from __future__ import annotations

from numba import njit

from sim.engine.kernel import books
from sim.engine.mechanisms import (
    acquisition,
    commitment,
    competition,
    dissolution,
    events,
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
from sim.engine.mechanisms.dissolution import dissolve
from sim.engine.mechanisms.draws import STREAMS, U_DISSOLUTION, U_FAILURE_DROP, draw
from sim.engine.strategies import portfolio, pricing, prospecting
from sim.stages import AWARENESS, DISSOLUTION, Cause

__all__ = ["STREAMS", "month"]

COMPETITOR, DISSATISFACTION, PROSPECT_LOST = int(Cause.COMPETITOR), int(Cause.DISSATISFACTION), int(Cause.PROSPECT_LOST)


@njit(cache=True, inline="always")
def relationship(r, p, spending, u, t, new, relationships, market):  # noqa: ANN001, ANN201
    """A customer in a relationship: investments to ladder, stages, competition and dissolution.  Returns the spend.

    `spending` is (levers in use, investment tables, migration table): see Kernel.  `market` is the month's
    season, shadow price of capacity and demand at list prices (pricing.month_terms).
    """
    rung, stage = r.rung, r.stage
    rate, cost_factor, price, invest, reprice = portfolio.effects(r, p)
    relationships[r.segment, rung] += 1
    arose = events.step(r, p, u)
    if p.event_oriented:
        r.cost += prospecting.step(r, p, u, arose)
    spent = investments.step(r, p, spending, rung)
    interactions.step(r, p, u, not new, rate, invest)
    x, demand = pricing.terms(r, p, market)
    buy, coverage, target = purchases.step(r, p, u, new, rung, stage, (price * x, cost_factor, demand))
    if p.yield_managed:
        pricing.unfairness(r, p, x, buy)
    failed, resolved = service.step(r, p, u, buy)
    if buy:
        satisfaction.step(r, p, stage, failed, resolved)
    sat = r.satisfaction
    trust_level, switching, dependence = commitment.step(r, p, coverage)
    share_of_wallet.step(r, p, target)
    unresolved = failed and not resolved
    shaken = unresolved and draw(u, U_FAILURE_DROP, r) < p.ladder.failure_drop * r.transaction_u
    spent += ladder.step(r, p, spending, u, shaken)
    stages.step(r, p, u, t, trust_level, sat, r.share_of_wallet)
    if competition.step(r, p, u, stage, reprice, switching, sat):
        dissolve(r, COMPETITOR, t)
    elif dissolution.step(r, p, u, stage, sat, trust_level, dependence, unresolved):
        dissolve(r, DISSATISFACTION, t)
    return spent


@njit(cache=True, _nrt=False)  # no reference counting: the pass allocates nothing
def month(c, span, t, p, spending, u, counts, books_of):  # noqa: ANN001, ANN201
    """One agent month over customers 0..n-1 (before review, referrals and growth offers).  Returns the spend.

    `span` is (n, first entering place, end of the entering places): the
    customers this month and those who enter the market in it.  Opens each
    customer's month (books.open_customer) and counts customers in a
    relationship and on the ladder by segment and starting rung: whom each
    lever's spend reaches.  Notes, after each customer's month, whether it
    refers and whether it may start a growth episode, for the mechanisms after
    the pass.  `counts` is (relationships, on_ladder, occupancy: the stage,
    rung and active-rung counts, found: referring, growth candidates and their
    counts).  `books_of` is (closing, gross margin, discount weight, totals):
    with `closing`, first books each customer's month before (books.close_customer).
    """
    n, entering_start, entering_stop = span
    relationships, on_ladder, occupancy, found = counts
    closing, gross_margin, weight, totals = books_of
    if closing:
        totals[:] = 0.0
    stages, rungs, active_rungs = books.start_counts(occupancy)
    referring, candidates, counts = found
    counts[:] = 0
    relationships[:] = 0
    on_ladder[:] = 0
    spent = 0.0
    market = pricing.month_terms(t, p)
    for k in range(n):
        r = c[k]
        if closing:
            books.close_customer(r, gross_margin, weight, totals)
        books.open_customer(r, stages, rungs, active_rungs)
        stage = r.stage
        if stage == DISSOLUTION:
            trust.drift(r, p)
            continue
        on_ladder[r.segment, r.rung] += 1
        if stage != AWARENESS:
            spent += relationship(r, p, spending, u, t, False, relationships, market)
        elif acquisition.step(r, p, u, entering_start <= k < entering_stop, t):
            spent += relationship(r, p, spending, u, t, True, relationships, market)
        else:  # a prospect stands on the ladder and may lose interest
            spent += ladder.step(r, p, spending, u, False)
            if draw(u, U_DISSOLUTION, r) < p.stages.prospect_exit_rate:
                dissolve(r, PROSPECT_LOST, t)
        trust.drift(r, p)
        if referrals.refers(r, p, u):
            referring[counts[0]] = k
            counts[0] += 1
        if growth.candidate(r, p, u):
            candidates[counts[1]] = k
            counts[1] += 1
    return spent
