"""What every growth offer shares: its uniforms, the need it meets, and whether a yes was worth it (CR lecture notes).

The decisions are compiled functions of one customer record, as the monthly
pass's mechanisms are (:mod:`sim.engine.kernel`); they read the kernel's
parameters (``p.foot_in_the_door``, ``p.events``...) and run for a cohort
whenever its SimPy episode reaches a decision.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.engine.mechanisms.dissolution import dissolve
from sim.engine.mechanisms.satisfaction import fold
from sim.engine.streams import uniform
from sim.engine.view import MarketView
from sim.stages import Cause

POOR_FIT = int(Cause.POOR_FIT)
ACCEPT, VALUE, END = range(3)  # a decision's three uniforms


def terms(market: MarketView, step: int) -> tuple[tuple, np.uint64, int]:
    """What decision number `step` (from 0) reads: the kernel's parameters, its stream's key, the month."""
    return market.params, market.draws.key(f"growth_offer.{step}"), market.month


@njit(cache=True, inline="always")
def offer_uniform(key, r, which):  # noqa: ANN001, ANN201
    """Customer r's uniform `which` (ACCEPT, VALUE or END) of the decision whose stream has `key`.

    The same number as ``market.draws.at(purpose, places, 3)[:, which]`` (sim.engine.streams).
    """
    return uniform(key, r.identity * 3 + which)


@njit(cache=True, inline="always")
def timing(r, p):  # noqa: ANN001, ANN201
    """Whether the decision meets a need, the fit the customer perceives, and the acceptance logit's shift.

    An offer that arrives when an event has created a need (sim.engine.mechanisms.events) is accepted more
    often and fits better in the customer's eyes (CIF notes: event-oriented prospecting); the shift adds the
    stage's openness to growth offers.
    """
    need = r.in_need
    shift = p.staged.growth_acceptance_shift[r.stage] + p.events.acceptance_effect * need
    return need, min(r.fit + p.events.fit_effect * need, 1.0), shift


@njit(cache=True, inline="always")
def judge(r, p, g, key, fit, need, t):  # noqa: ANN001, ANN201
    """After a yes to an offer with parameters `g`: does the customer value it?  Returns whether the tie goes on.

    Whether valued or not, the offer is an experience folded into
    satisfaction.  Not valued, it damages credibility and may end the
    relationship in month t (CR lecture notes: the limits of FITD); only an
    offer that met no `need` makes the firm look pushy (self-orientation).
    """
    st = p.satisfaction
    valued = fit + g.value_noise * (offer_uniform(key, r, VALUE) - 0.5) >= g.poor_fit_threshold
    fold(r, p, st.success_value if valued else -st.failure_severity)
    if valued:
        return True
    r.credibility *= 1.0 - g.trust_damage
    if not need:
        r.self_orientation += g.self_orientation_damage
    if offer_uniform(key, r, END) < g.dissolution_on_damage:
        dissolve(r, POOR_FIT, t)
        return False
    return True
