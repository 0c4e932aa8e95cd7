"""Trust by Green's equation, and the drift of its components when the firm stays silent (RM notes).

``trust = (credibility + reliability + intimacy) / (3 * self_orientation)``:
credibility, reliability and intimacy lie in [0, 1] and perceived
self-orientation is at least 1, so trust lies in [0, 1].  This is the one
trust formula: customer state, tables and every mechanism use it.
"""

from __future__ import annotations

from numba import njit
from numba.extending import register_jitable


@register_jitable
def green_trust(credibility, reliability, intimacy, self_orientation):
    """Green's trust (C + R + I) / S, with C, R, I in [0, 1] and S >= 1, scaled to [0, 1]."""
    return (credibility + reliability + intimacy) / (3.0 * self_orientation)


@njit(cache=True, inline="always")
def drift(r, p):  # noqa: ANN001, ANN201
    """Credibility and intimacy drift back to their initial level; pushed offers are slowly forgiven."""
    tr = p.trust
    r.credibility += tr.decay * (tr.initial - r.credibility)
    r.intimacy += tr.decay * (tr.initial - r.intimacy)
    r.self_orientation += tr.self_orientation_recovery * (p.firm.self_orientation - r.self_orientation)
