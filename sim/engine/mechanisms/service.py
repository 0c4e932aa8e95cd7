"""Service encounters after purchases: failures hurt reliability, recoveries cost money (CR lecture notes)."""

from __future__ import annotations

import numpy as np

from sim.engine.mechanisms.month import Month


def failure_probability(base, transaction_u, tu_effect, transfer_ability, ta_effect, linkage, link_effect):
    """Chance a service encounter fails: more under transaction uncertainty, less with transfer ability and linkages."""
    p = base * (1.0 + tu_effect * transaction_u) * (1.0 - ta_effect * transfer_ability) * (1.0 - link_effect * linkage)
    return np.clip(p, 0.0, 1.0)


def step(m: Month) -> None:
    """Each purchase meets a service encounter; a failure may be resolved by the firm's conflict resolution."""
    c, sc, rel = m.customers, m.scenario, m.rel
    sv, tr, post = sc.service, sc.trust, sc.posture
    p_fail = failure_probability(
        sv.failure_probability,
        m.transaction_u,
        sv.transaction_uncertainty_effect,
        sc.firm.transfer_ability,
        sv.transfer_ability_effect,
        c.linkage[rel],
        sv.linkage_effect,
    )
    m.failed = m.buy & (m.u("service.failure") < p_fail)
    m.resolved = m.failed & (m.u("service.recovery") < post.conflict_resolution)
    m.unresolved = m.failed & ~m.resolved
    served = m.buy & ~m.failed
    rel_level = c.reliability[rel]
    rel_level += served * tr.reliability_gain * (1.0 - rel_level)
    rel_level -= m.failed * np.minimum(tr.reliability_loss * (1.0 + m.transaction_u), 1.0) * rel_level
    c.reliability[rel] = rel_level
    c.cost[rel] += m.resolved * post.recovery_cost
