"""Referral trees: what an initial customer is worth with every customer its referrals brought."""

from __future__ import annotations

import numpy as np


def tree_roots(referred_by: np.ndarray, initial: int) -> np.ndarray:
    """The initial customer at the root of each newcomer's referral chain (newcomers are rows `initial` on)."""
    root = referred_by[initial:].astype(np.int64)
    while (deep := root >= initial).any():  # a newcomer's referrer may be a newcomer: climb to the initial one
        root[deep] = referred_by[root[deep]]
    return root


def tree_values(values: np.ndarray, referred_by: np.ndarray, initial: int) -> np.ndarray:
    """Each initial customer's value (CLV, cost...) plus that of every customer its referrals brought, at any depth."""
    root = tree_roots(referred_by, initial)
    return values[:initial].astype(float) + np.bincount(root, weights=values[initial:], minlength=initial)[:initial]
