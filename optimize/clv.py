"""Closed-form customer lifetime value of Markov-chain customers (Pfeifer and Carraway 2000).

numpy (a sparse chain: scipy.sparse): used by tests as known answers and by :mod:`optimize` for the
value of each rung of the loyalty ladder.  Money is received at the start of
each month in which the customer is active and discounted at monthly rate i.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse


def markov_clv(transitions: np.ndarray, margins: np.ndarray, rate: float, horizon: int | None = None) -> np.ndarray:
    """Expected discounted value per starting state: ``(I - P/(1+i))^-1 r``, or its sum over `horizon` months.

    `transitions` is square over the live states (rows may sum to less than 1:
    the rest is absorbing dissolution worth nothing) or has one extra column
    for dissolution, which is dropped.  A scipy sparse matrix needs `horizon` (the closed-form solve is dense).
    """
    P = transitions if sparse.issparse(transitions) else np.asarray(transitions, dtype=float)
    P = P[:, : P.shape[0]]
    r = np.asarray(margins, dtype=float)
    M = P / (1.0 + rate)
    if horizon is None:
        return np.linalg.solve(np.eye(len(r)) - M, r)
    value, term = np.zeros_like(r), r.copy()
    for _ in range(horizon):
        value += term
        term = M @ term
    return value


def constant_retention_clv(margin: float, retention: float, rate: float) -> float:
    """CLV of a customer paying `margin` at the start of each period while retained: ``m (1+i) / (1+i-r)``."""
    return margin * (1.0 + rate) / (1.0 + rate - retention)
