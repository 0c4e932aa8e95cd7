"""Referral trees: what a customer who came by itself is worth with every customer its referrals brought."""

from __future__ import annotations

import numpy as np


def tree_roots(referred_by: np.ndarray) -> np.ndarray:
    """For every customer, the customer at the root of its referral chain (itself if nobody referred it).

    Roots are the customers present at month 0 and those of later cohorts;
    a referral's referrer may itself have been referred, so chains are climbed.
    """
    referred_by = referred_by.astype(np.int64)
    root = np.where(referred_by < 0, np.arange(len(referred_by)), referred_by)
    while (deep := referred_by[root] >= 0).any():
        root[deep] = referred_by[root[deep]]
    return root


def tree_values(values: np.ndarray, referred_by: np.ndarray) -> np.ndarray:
    """Each customer's referral-tree total of `values` (CLV, cost...): its own plus all it brought; 0 if referred."""
    return np.bincount(tree_roots(referred_by), weights=values, minlength=len(values)) * (referred_by < 0)
