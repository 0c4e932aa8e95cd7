"""Service encounters after purchases: failures hurt reliability, recoveries cost money (CR lecture notes)."""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.extending import register_jitable

from sim.engine.mechanisms.draws import U_FAILURE, U_RECOVERY, draw


@register_jitable
def failure_probability(base, transaction_u, tu_effect, transfer_ability, ta_effect, linkage, link_effect):
    """Chance a service encounter fails: more under transaction uncertainty, less with transfer ability and linkages."""
    p = base * (1.0 + tu_effect * transaction_u) * (1.0 - ta_effect * transfer_ability) * (1.0 - link_effect * linkage)
    return np.clip(p, 0.0, 1.0)


@njit(cache=True, inline="always")
def step(r, p, u, buy):  # noqa: ANN001, ANN201
    """A purchase meets a service encounter; a failure may be resolved.  Returns (failed, resolved)."""
    sv, tr, post, tu = p.service, p.trust, p.posture, r.transaction_u
    p_fail = failure_probability(
        sv.failure_probability,
        tu,
        sv.transaction_uncertainty_effect,
        p.firm.transfer_ability,
        sv.transfer_ability_effect,
        r.linkage,
        sv.linkage_effect,
    )
    failed = buy and draw(u, U_FAILURE, r) < p_fail
    resolved = failed and draw(u, U_RECOVERY, r) < post.conflict_resolution
    level = r.reliability
    level += (1.0 if buy and not failed else 0.0) * tr.reliability_gain * (1.0 - level)
    level -= (1.0 if failed else 0.0) * min(tr.reliability_loss * (1.0 + tu), 1.0) * level
    r.reliability = level
    r.cost += (1.0 if resolved else 0.0) * post.recovery_cost
    return failed, resolved
