"""Relationship development stages (Dwyer, Schurr and Oh 1987; RM notes): exploration -> expansion -> commitment.

Exploration turns into expansion after enough purchases once trust and
satisfaction are high enough; expansion into commitment when trust,
commitment and share of wallet together pass a threshold; commitment falls
back to expansion when they no longer do.  Chances are logistic around the
thresholds (``[stages]``).
"""

from __future__ import annotations

from scipy.special import expit as logistic

from sim.engine.mechanisms.month import Month, happens
from sim.stages import COMMITMENT, EXPANSION, EXPLORATION


def step(m: Month) -> None:
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
