"""Firm interactions (communication, bridging, coordination; CR lecture notes): they cost money and build trust."""

from __future__ import annotations

from sim.engine.mechanisms.month import Month


def step(m: Month) -> None:
    """Customers in a relationship before this month meet the firm at the posture's rate (as the policy adjusts it)."""
    c, sc, rel = m.customers, m.scenario, m.rel
    post, tr = sc.posture, sc.trust
    interact = m.old & (m.u("interaction") < m.interaction_rate)
    cred, intim = c.credibility[rel], c.intimacy[rel]
    cred += interact * tr.credibility_gain * (1.0 - cred)
    intim += interact * tr.intimacy_gain * post.closeness * (1.0 - intim)
    c.credibility[rel], c.intimacy[rel] = cred, intim
    c.cost[rel] += interact * post.interaction_cost + (m.old & m.invest) * sc.portfolio_policy.invest_cost
