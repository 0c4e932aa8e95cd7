"""Response functions shared by the optimizer and the simulator: each formula is written once, here.

The engine (``sim``) calls these with numpy arrays; the optimizer calls them
with cvxpy expressions (``xp=cvxpy``), so the two cannot drift apart.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar


def saturation(spend, p_max, scale):
    """The migration response ``p_max (1 - exp(-spend / scale))``: concave, saturating, at most `p_max`.

    The first money buys the most.  Numbers or numpy arrays; the simulator's
    kernel compiles this very function with numba (``sim.engine.mechanisms.investments``),
    so the optimizer and the simulator run one formula.
    """
    return p_max * (1.0 - np.exp(spend * (-1.0 / scale)))


def migration_probability(spend, p_max, scale, xp=np):
    """Chance that spending `spend` on a customer this month moves it one rung up (:func:`saturation`).

    Pass ``xp=cvxpy`` for the same term as a cvxpy expression of a spend
    variable, written with cvxpy's elementwise products (tests check the two agree).
    """
    scale = np.asarray(scale, dtype=float)
    if xp is np:
        return saturation(np.asarray(spend, dtype=float), np.asarray(p_max, dtype=float), scale)
    return xp.multiply(p_max, 1.0 - xp.exp(xp.multiply(spend, -1.0 / scale)))


def level_effects(y: np.ndarray, index: np.ndarray, levels: int) -> tuple[np.ndarray, np.ndarray]:
    """Main effect of each level of each cell on `y`, against level 0, from a randomised design (OLS).

    `index` (units x cells) holds each unit's level in every cell, drawn
    independently, so each effect is the mean difference it makes with the
    other cells at their design levels.  Returns (effects, standard errors),
    both cells x levels with level 0 at 0; the errors are heteroskedasticity-robust
    (HC1): a unit's value difference is mostly 0 with rare large jumps.
    """
    y = np.asarray(y, dtype=float)
    n, cells = index.shape
    cols = cells * (levels - 1)
    X = np.zeros((n, 1 + cols))
    X[:, 0] = 1.0
    rows, cell = np.nonzero(index > 0)
    X[rows, 1 + cell * (levels - 1) + index[rows, cell].astype(np.intp) - 1] = 1.0
    used = X.any(axis=0)  # a level nobody drew cannot be estimated: it stays at 0 with an infinite error
    Xu = X[:, used]
    coef, *_ = np.linalg.lstsq(Xu, y, rcond=None)
    bread = np.linalg.pinv(Xu.T @ Xu)
    resid = y - Xu @ coef
    meat = (Xu * resid[:, None] ** 2).T @ Xu * n / max(n - Xu.shape[1], 1)
    se_used = np.sqrt(np.maximum(np.diag(bread @ meat @ bread), 0.0))
    effects, se = np.zeros(1 + cols), np.full(1 + cols, np.inf)
    effects[used], se[used] = coef, se_used
    shape = (cells, levels - 1)
    zeros = np.zeros((cells, 1))
    return np.hstack([zeros, effects[1:].reshape(shape)]), np.hstack([zeros, se[1:].reshape(shape)])


def fit_saturating(
    spend: np.ndarray, effect: np.ndarray, se: np.ndarray, cost: float, scale_bounds: tuple[float, float]
) -> tuple[float, float]:
    """Fit ``effect(s) = value * (1 - exp(-s / scale)) - cost * s`` to measured effects; returns (value, scale).

    `cost` is the known spend a unit of monthly spend costs (discounted
    months on the cell), so only the gross response is fitted: weighted least
    squares, exact in `value` for each scale and a bounded search over log(scale).
    A response that never beats its cost gets value 0.
    """
    s, gross = np.asarray(spend, dtype=float), np.asarray(effect, dtype=float) + cost * np.asarray(spend, dtype=float)
    w = 1.0 / np.maximum(np.asarray(se, dtype=float), 1e-9) ** 2
    ok = np.isfinite(w) & np.isfinite(gross) & (s > 0)
    if not ok.any():
        return 0.0, float(scale_bounds[1])
    s, gross, w = s[ok], gross[ok], w[ok]

    def best_value(log_scale: float) -> tuple[float, float]:
        shape = saturation(s, 1.0, np.exp(log_scale))
        value = max(float(np.sum(w * shape * gross) / np.sum(w * shape * shape)), 0.0)
        return value, float(np.sum(w * (gross - value * shape) ** 2))

    lo, hi = np.log(scale_bounds[0]), np.log(scale_bounds[1])
    grid = np.linspace(lo, hi, 41)
    k = int(np.argmin([best_value(g)[1] for g in grid]))
    fit = minimize_scalar(
        lambda g: best_value(g)[1], bounds=(grid[max(k - 1, 0)], grid[min(k + 1, len(grid) - 1)]), method="bounded"
    )
    log_scale = float(fit.x) if fit.fun <= best_value(grid[k])[1] else float(grid[k])
    value, _ = best_value(log_scale)
    return value, float(np.exp(log_scale))


def shrink_effects(effects: np.ndarray, se: np.ndarray) -> np.ndarray:
    """Empirical-Bayes shrinkage of many measured effects towards 0 (normal prior, variance from the effects).

    A plan that spends where the measured effect is largest picks the cells
    whose noise came out high (the optimizer's curse, Smith and Winkler 2006).
    Each level's effects across cells share a prior ``N(0, tau^2)``, with
    ``tau^2`` the spread of the effects beyond their noise; an effect is scaled by
    ``tau^2 / (tau^2 + se^2)``, so a noisy one counts for less.
    """
    b, s = np.asarray(effects, dtype=float), np.asarray(se, dtype=float)
    out = b.copy()
    for col in range(b.shape[1]):
        ok = np.isfinite(s[:, col]) & (s[:, col] > 0)
        if not ok.any():
            continue
        tau2 = max(float(np.mean(b[ok, col] ** 2) - np.mean(s[ok, col] ** 2)), 0.0)
        out[ok, col] = b[ok, col] * tau2 / (tau2 + s[ok, col] ** 2)
        out[~ok, col] = 0.0 if col else out[~ok, col]
    return out
