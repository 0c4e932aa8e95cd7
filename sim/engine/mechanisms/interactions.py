"""Firm interactions (communication, bridging, coordination; CR lecture notes): they cost money and build trust."""

from __future__ import annotations

from numba import njit

from sim.engine.mechanisms.draws import U_INTERACTION, draw


@njit(cache=True, inline="always")
def step(r, p, u, old, rate, invest):  # noqa: ANN001, ANN201
    """A customer in a relationship before this month meets the firm at the posture's (adjusted) rate."""
    interact = 1.0 if old and draw(u, U_INTERACTION, r) < rate else 0.0
    tr, post = p.trust, p.posture
    r.credibility += interact * tr.credibility_gain * (1.0 - r.credibility)
    r.intimacy += interact * tr.intimacy_gain * post.closeness * (1.0 - r.intimacy)
    r.cost += interact * post.interaction_cost + (1.0 if old else 0.0) * invest * p.portfolio_policy.invest_cost
