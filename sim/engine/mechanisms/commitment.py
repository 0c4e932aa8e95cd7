"""Commitment: affective grows with trust; calculative with switching costs and dependence, against trust (RM notes).

Operational linkages grow at the posture's rate; with the scope of products
held they make the switching costs, and with need uncertainty the dependence
that later mechanisms (competition, dissolution) read.
"""

from __future__ import annotations

import numpy as np

from sim.engine.mechanisms.month import Month
from sim.engine.mechanisms.trust import green_trust


def calculative_target(switching_cost, dependence, trust_level, trust_on_calculative):
    """Calculative commitment a customer moves to: switching costs and dependence, less where trust is high."""
    return np.clip(0.5 * (switching_cost + dependence) - trust_on_calculative * (trust_level - 0.5), 0.0, 1.0)


def step(m: Month) -> None:
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
