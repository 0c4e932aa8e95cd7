"""Trust by Green's equation, and the drift of its components when the firm stays silent (RM notes).

``trust = (credibility + reliability + intimacy) / (3 * self_orientation)``:
credibility, reliability and intimacy lie in [0, 1] and perceived
self-orientation is at least 1, so trust lies in [0, 1].  This is the one
trust formula: customer state, tables and every mechanism use it.
"""

from __future__ import annotations

from sim.engine.mechanisms.month import Month


def green_trust(credibility, reliability, intimacy, self_orientation):
    """Green's trust (C + R + I) / S, with C, R, I in [0, 1] and S >= 1, scaled to [0, 1]."""
    return (credibility + reliability + intimacy) / (3.0 * self_orientation)


def drift(m: Month) -> None:
    """Credibility and intimacy drift back to their initial level without contact; pushed offers are slowly forgiven."""
    c, tr, n = m.customers, m.scenario.trust, m.n
    cred, intim = c.credibility[:n], c.intimacy[:n]
    cred += tr.decay * (tr.initial - cred)
    intim += tr.decay * (tr.initial - intim)
    so = c.self_orientation[:n]
    so += tr.self_orientation_recovery * (m.scenario.firm.self_orientation - so)
