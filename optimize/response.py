"""Response functions shared by the optimizer and the simulator: each formula is written once, here.

The engine (``sim``) calls these with numpy arrays; the optimizer calls them
with cvxpy expressions (``xp=cvxpy``), so the two cannot drift apart.
"""

from __future__ import annotations

import numpy as np


def migration_probability(spend, p_max, scale, xp=np):
    """Chance that spending `spend` on a customer this month moves it one rung up: concave and saturating.

    ``p_max * (1 - exp(-spend / scale))``: the first money buys the most, and
    no spend moves more than `p_max`.  Pass ``xp=cvxpy`` to get the same term
    as a cvxpy expression, so optimizer and simulator share one formula.
    """
    return xp.multiply(p_max, 1.0 - xp.exp(xp.multiply(spend, -1.0 / np.asarray(scale, dtype=float))))
