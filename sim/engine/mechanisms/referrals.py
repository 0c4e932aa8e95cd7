"""Referrals (RM notes: non-monetary value counts in CLV): advocates bring new prospects from the referral pool.

Each month the customers who refer are found at once; their referrals reach
the market one by one after a delay of less than a month, in a SimPy
process (:mod:`sim.engine.episodes.referrals`), so a referred prospect enters at its own time.
"""

from __future__ import annotations

from numba import njit

from sim.engine.episodes.referrals import arrivals
from sim.engine.mechanisms.draws import U_REFERRAL, draw
from sim.engine.mechanisms.month import Month
from sim.stages import DISSOLUTION


@njit(cache=True, inline="always")
def refers(r, p, u):  # noqa: ANN001, ANN201
    """Whether a customer still in the market refers this month: its uniform below its rung's referral rate.

    Asked by the compiled pass after the customer's month (its ladder move included).
    """
    rate = p.purchasing.referral_rate[r.rung]
    # Most rungs never refer (rate 0): no uniform is below 0, so the draw is skipped, not changed.
    return r.stage != DISSOLUTION and rate > 0.0 and draw(u, U_REFERRAL, r) < rate


def step(m: Month) -> None:
    """The customers the pass found referring (`m.referring`) who are still in the market after the review refer."""
    if not m.market.open_to_entry:  # after the horizon (the run-off) nobody new enters: a referral changes nothing
        return
    referring = m.referring[m.customers.stage[m.referring] != DISSOLUTION]
    if len(referring):
        delays = m.draws.at("referral.delay", referring)
        m.env.process(arrivals(m.env, m.market, referring, delays))
