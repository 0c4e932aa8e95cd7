"""Share of wallet (share of customer; RM, PRM and CIF notes): it moves month by month towards its target."""

from __future__ import annotations

from sim.engine.mechanisms.month import Month


def step(m: Month) -> None:
    """Close a share of the gap between each customer's share of wallet and its target (set by purchases)."""
    c, rel = m.customers, m.rel
    sow = c.share_of_wallet[rel]
    sow += m.scenario.purchasing.sow_adjustment * (m.sow_target - sow)
    c.share_of_wallet[rel] = sow
    m.share_of_wallet = sow
