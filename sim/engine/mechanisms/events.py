"""Life-cycle and situational events (CIF notes): a move, a new project, a merger creates a need that fades.

Each month a customer in a relationship without a need meets an event at its
segment's rate (``segments[*].event_rate``); a need lasts ``need_months`` on
average (it fades with chance 1 / need_months a month, a geometric duration).
The need matters when a growth offer is decided (see
:mod:`sim.engine.strategies.growth.offers`): an offer that meets a need is
accepted more often, fits better and is not felt as pushing.  Events happen
whatever the strategy; event-oriented prospecting
(:mod:`sim.engine.strategies.prospecting`) only times offers to them.
"""

from __future__ import annotations

from numba import njit
from numba.extending import register_jitable

from sim.engine.mechanisms.draws import U_EVENT, draw


@register_jitable
def prevalence(event_rate, need_months):
    """Long-run share of customers with a need: the two-state chain's stationary share ``a D / (a D + 1)``."""
    held = event_rate * need_months
    return held / (held + 1.0)


@njit(cache=True, inline="always")
def step(r, p, u):  # noqa: ANN001, ANN201
    """A need arises at the segment's event rate, or an existing one fades; returns whether one arose this month."""
    x = draw(u, U_EVENT, r)
    if r.in_need:
        r.in_need = not x < 1.0 / p.events.need_months
        return False
    r.in_need = x < p.event_rate[r.segment]
    return r.in_need
