"""Commitment: affective grows with trust; calculative with switching costs and dependence, against trust (RM notes).

Operational linkages grow at the posture's rate; with the scope of products
held they make the switching costs, and with need uncertainty the dependence
that later mechanisms (competition, dissolution) read.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.extending import register_jitable

from sim.engine.mechanisms.trust import green_trust


@register_jitable
def calculative_target(switching_cost, dependence, trust_level, trust_on_calculative):
    """Calculative commitment a customer moves to: switching costs and dependence, less where trust is high."""
    return np.clip(0.5 * (switching_cost + dependence) - trust_on_calculative * (trust_level - 0.5), 0.0, 1.0)


@njit(cache=True, inline="always")
def step(r, p, coverage):  # noqa: ANN001, ANN201
    """Linkages, switching costs and dependence; affective and calculative commitment move towards them."""
    cm = p.commitment
    trust = green_trust(r.credibility, r.reliability, r.intimacy, r.self_orientation)
    linkage = r.linkage + p.posture.linkage_rate * (1.0 - r.linkage)
    switching = min(max(cm.products_switching_weight * coverage + cm.linkage_switching_weight * linkage, 0.0), 1.0)
    dependence = r.need_u * max(coverage, linkage)
    aff = r.affective + cm.affective_rate * (trust - r.affective)
    calc = r.calculative
    calc += cm.calculative_rate * (calculative_target(switching, dependence, trust, cm.trust_on_calculative) - calc)
    r.linkage, r.affective, r.calculative = linkage, aff, calc
    return trust, switching, dependence
