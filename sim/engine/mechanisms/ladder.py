"""The loyalty ladder (CR lecture notes): one rung up or down a month, driven by trust, satisfaction, commitment.

Prospects stand on the ladder too.  Migration investments (``[migration]``)
add a chance of moving up, bought with monthly spend per customer through
the response function the optimizer also uses (:mod:`optimize.response`).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit as logistic

from optimize.response import migration_probability
from sim.engine.mechanisms.month import Month
from sim.engine.mechanisms.trust import green_trust


def ladder_drive(trust_level, satisfaction, affective, w_trust, w_satisfaction, w_affective):
    """What pushes a customer up the loyalty ladder."""
    return w_trust * trust_level + w_satisfaction * satisfaction + w_affective * affective


def climb_probability(drive, rung, thresholds, up_rate, steepness):
    """Monthly chance of climbing one rung: logistic in the gap between drive and the rung's threshold."""
    top = len(thresholds)
    theta = thresholds[np.minimum(rung, top - 1)]
    return np.where(rung < top, up_rate * logistic(steepness * (drive - theta)), 0.0)


def drop_probability(drive, rung, thresholds, down_rate, steepness):
    """Monthly chance of dropping one rung when the drive falls below what holds the current rung."""
    theta = thresholds[np.maximum(rung - 1, 0)]
    return np.where(rung > 0, down_rate * logistic(steepness * (theta - drive)), 0.0)


def migrate(market, j: np.ndarray, rung: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Spend the migration budget on customers `j` on rungs `rung` (prospects too: they stand on the ladder).

    The spend is booked as cost; returns which of them it moves up a rung (`u`: their uniforms).
    """
    c, mg = market.customers, market.scenario.migration
    spend = market.migration_spend[market.spend_rows(j, c.segment[j]), rung]
    c.cost[j] += spend
    market.recorder.invested[market.month] += spend.sum()
    return u < migration_probability(spend, mg.p_max, mg.scale)


def step(m: Month) -> None:
    """Every customer still in the market may climb or drop a rung; an unresolved failure can knock one down."""
    c, sc, market = m.customers, m.scenario, m.market
    ld = sc.ladder
    thresholds = np.asarray(ld.thresholds)
    shaken = np.zeros(m.n, dtype=bool)
    shaken[m.rel] = m.unresolved & (m.u("ladder.failure_drop") < ld.failure_drop * m.transaction_u)
    j = np.flatnonzero(m.alive)
    shaken = shaken[j]
    rung = c.rung[j]
    market.recorder.count(market.recorder.ladder, m.t, c.segment[j], rung)
    trust = green_trust(c.credibility[j], c.reliability[j], c.intimacy[j], c.self_orientation[j])
    drive = ladder_drive(
        trust, c.satisfaction[j], c.affective[j], ld.trust_weight, ld.satisfaction_weight, ld.affective_weight
    )
    up = m.draws("ladder.up")[j] < climb_probability(drive, rung, thresholds, ld.up_rate, ld.steepness)
    if market.migrating:
        up |= migrate(market, j, rung, m.draws("migration")[j]) & (rung < len(thresholds))
    may_drop = ~up & (rung > 0)
    k = np.flatnonzero(may_drop & ~shaken)
    drop = np.zeros(len(j), dtype=bool)
    drop[k] = m.draws("ladder.down")[j[k]] < drop_probability(drive[k], rung[k], thresholds, ld.down_rate, ld.steepness)
    down = may_drop & (shaken | drop)
    c.rung[j] = rung + (up.astype(np.int8) - down.astype(np.int8))
