"""Share of wallet (share of customer; RM, PRM and CIF notes): it moves month by month towards its target."""

from __future__ import annotations

from numba import njit


@njit(cache=True, inline="always")
def step(r, p, target):  # noqa: ANN001, ANN201
    """Close a share of the gap between the customer's share of wallet and its target (set by purchases)."""
    r.share_of_wallet += p.purchasing.sow_adjustment * (target - r.share_of_wallet)
