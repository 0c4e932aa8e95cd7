"""The loyalty ladder (CR lecture notes): one rung up or down a month, driven by trust, satisfaction, commitment.

Prospects stand on the ladder too.  Migration investments (``[migration]``)
add a chance of moving up, bought with monthly spend per customer through
the response function the optimizer also uses (:mod:`optimize.response`).
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.extending import register_jitable
from scipy.special import expit as logistic

from optimize.response import migration_probability
from sim.engine.mechanisms.draws import U_DOWN, U_MIGRATION, U_UP, draw
from sim.engine.mechanisms.investments import saturating, spend_row
from sim.engine.mechanisms.numeric import choose
from sim.engine.mechanisms.trust import green_trust
from sim.engine.view import MarketView


@register_jitable
def ladder_drive(trust_level, satisfaction, affective, w_trust, w_satisfaction, w_affective):
    """What pushes a customer up the loyalty ladder."""
    return w_trust * trust_level + w_satisfaction * satisfaction + w_affective * affective


@register_jitable
def climb_probability(drive, rung, thresholds, up_rate, steepness):
    """Monthly chance of climbing one rung: logistic in the gap between drive and the rung's threshold."""
    top = len(thresholds)
    theta = thresholds[np.minimum(rung, top - 1)]
    return choose(rung < top, up_rate * logistic(steepness * (drive - theta)), 0.0)


@register_jitable
def drop_probability(drive, rung, thresholds, down_rate, steepness):
    """Monthly chance of dropping one rung when the drive falls below what holds the current rung."""
    theta = thresholds[np.maximum(rung - 1, 0)]
    return choose(rung > 0, down_rate * logistic(steepness * (theta - drive)), 0.0)


def migrate(market: MarketView, j: np.ndarray, rung: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Spend the migration budget on customers `j` on rungs `rung` (prospects too: they stand on the ladder).

    The spend is booked as cost; returns which of them it moves up a rung (`u`: their uniforms).
    """
    c, mg = market.customers, market.scenario.migration
    spend = market.migration_spend[market.spend_rows(j, c.segment[j]), rung]
    c.cost[j] += spend
    market.recorder.invested[market.month] += spend.sum()
    return u < migration_probability(spend, mg.p_max, mg.scale)


@njit(cache=True, inline="always")
def step(r, p, spending, u, shaken):  # noqa: ANN001, ANN201
    """Climb or drop a rung (direct migration spend may move it up).  Returns the migration spend."""
    s, _, migration = spending
    ld, rung = p.ladder, r.rung
    top = len(ld.thresholds)
    trust = green_trust(r.credibility, r.reliability, r.intimacy, r.self_orientation)
    drive = ladder_drive(
        trust, r.satisfaction, r.affective, ld.trust_weight, ld.satisfaction_weight, ld.affective_weight
    )
    # Each chance is a rate times a logistic, never above the rate: a uniform above the rate decides without
    # the exponential (the same answer, bit for bit).
    x = draw(u, U_UP, r)
    up = x < ld.up_rate and x < climb_probability(drive, rung, ld.thresholds, ld.up_rate, ld.steepness)
    spend = 0.0
    if s.migrating:
        spend = migration[spend_row(r, s), rung]
        r.cost += spend
        mg = p.migration
        up = up or (draw(u, U_MIGRATION, r) < saturating(spend, mg.p_max, mg.scale) and rung < top)
    down = False
    if not up and rung > 0:
        x = draw(u, U_DOWN, r)
        falls = x < ld.down_rate and x < drop_probability(drive, rung, ld.thresholds, ld.down_rate, ld.steepness)
        down = shaken or falls
    r.rung = rung + np.int8(up) - np.int8(down)
    return spend
