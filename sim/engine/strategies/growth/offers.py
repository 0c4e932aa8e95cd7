"""What every growth offer shares: after a yes, the customer judges whether it was worth it (CR lecture notes)."""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.engine.mechanisms.satisfaction import fold
from sim.stages import Cause


def timing(market: Any, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whether each decision of customers `idx` meets a need, the acceptance logit it adds, and the perceived fit.

    An offer that arrives when an event has created a need (sim.engine.mechanisms.events) is accepted more
    often and fits better in the customer's eyes (CIF notes: event-oriented prospecting).
    """
    c, ev = market.customers, market.scenario.events
    need = c.in_need[idx]
    return need, ev.acceptance_effect * need, np.minimum(c.fit[idx] + ev.fit_effect * need, 1.0)


def judge(
    market: Any, idx: np.ndarray, p: Any, u_value: np.ndarray, u_end: np.ndarray, fit: np.ndarray, need: np.ndarray
) -> np.ndarray:
    """After accepted offers: do the customers value them (perceived `fit`)?  If not, trust suffers and the tie may end.

    Vectorised over customers `idx`; returns which relationships go on.  An
    offer that met a `need` and is not valued does not make the firm look
    pushy: only offers without a need raise perceived self-orientation.
    """
    c, st = market.customers, market.scenario.satisfaction
    valued = fit + p.value_noise * (u_value - 0.5) >= p.poor_fit_threshold
    fold(c, market.scenario, idx, np.where(valued, st.success_value, -st.failure_severity))
    # CR lecture notes: FITD limitations -- a poor fit, or value not recognised, damages the relationship.
    hurt = idx[~valued]
    c.credibility[hurt] *= 1.0 - p.trust_damage
    c.self_orientation[idx[~valued & ~need]] += p.self_orientation_damage
    ended = ~valued & (u_end < p.dissolution_on_damage)
    market.dissolve(idx[ended], Cause.POOR_FIT)
    return ~ended


def uniforms(market: Any, j: np.ndarray, step: int) -> np.ndarray:
    """Three uniforms per customer `j` for its growth-offer decision number `step` this month (accept, value, end)."""
    return market.draws.at(f"growth_offer.{step}", j, 3)
