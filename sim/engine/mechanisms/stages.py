"""Relationship development stages (Dwyer, Schurr and Oh 1987; RM notes): exploration -> expansion -> commitment.

Exploration turns into expansion after enough purchases once trust and
satisfaction are high enough; expansion into commitment when trust,
commitment and share of wallet together pass a threshold; commitment falls
back to expansion when they no longer do.  Chances are logistic around the
thresholds (``[stages]``).
"""

from __future__ import annotations

from numba import njit
from scipy.special import expit as logistic

from sim.engine.mechanisms.draws import U_STAGE, draw
from sim.stages import COMMITMENT, EXPANSION, EXPLORATION


@njit(cache=True, inline="always")
def step(r, p, u, t, trust, sat, share_of_wallet):  # noqa: ANN001, ANN201
    """Exploration to expansion, expansion to commitment and back; the first month in commitment is recorded."""
    sg, stage, x = p.stages, r.stage, draw(u, U_STAGE, r)
    gap = sg.steepness * (
        (trust + 0.5 * (r.affective + r.calculative) + share_of_wallet) / 3.0 - sg.commitment_threshold
    )
    # Each chance is a rate times a logistic: a uniform above the rate decides without the exponential.
    if stage == EXPLORATION and r.purchases >= sg.min_purchases:
        z = sg.steepness * (trust + 0.5 * sat - sg.expansion_threshold)
        if x < sg.expansion_rate and x < sg.expansion_rate * logistic(z):
            r.stage = EXPANSION
    elif stage == EXPANSION and x < sg.commitment_rate and x < sg.commitment_rate * logistic(gap):
        r.stage = COMMITMENT
        if r.commitment_month < 0:
            r.commitment_month = t
    elif stage == COMMITMENT and x < sg.regression_rate and x < sg.regression_rate * logistic(-gap):
        r.stage = EXPANSION
