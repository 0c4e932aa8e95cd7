"""Intervals every table reports, built on scipy.stats: one place for the statistics of the whole product.

A mean over replications gets a Student t-interval (``scipy.stats.ttest_1samp``);
a paired difference is the mean of the per-replication differences; two
independent samples get Welch's interval (``scipy.stats.ttest_ind`` with
unequal variances).  Non-finite values are dropped (a KPI undefined in a
replication); with fewer than two values the interval is NaN, and with no
spread at all it is the point itself (scipy would warn and return NaN).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy import stats


class Interval(NamedTuple):
    """An estimate with its confidence interval and the number of values behind it."""

    mean: float
    sd: float
    low: float
    high: float
    n: int
    p: float = float("nan")  # two-sided p-value of "the mean is 0"


def _finite(x) -> np.ndarray:
    x = np.asarray(x, dtype=float).ravel()
    return x[np.isfinite(x)]


def mean_interval(x, level: float = 0.95) -> Interval:
    """Mean of independent draws `x` with its t-interval."""
    x = _finite(x)
    n = len(x)
    if n == 0:
        return Interval(float("nan"), float("nan"), float("nan"), float("nan"), 0)
    mean = float(x.mean())
    if n == 1:
        return Interval(mean, float("nan"), float("nan"), float("nan"), 1)
    sd = float(x.std(ddof=1))
    if sd <= 1e-12 * abs(mean):  # identical draws (rounding leaves a spread of ~1e-16 of the mean): no interval
        sd = 0.0
    if sd == 0.0:
        return Interval(mean, 0.0, mean, mean, n, 1.0 if mean == 0.0 else 0.0)
    test = stats.ttest_1samp(x, 0.0)
    ci = test.confidence_interval(level)
    return Interval(mean, sd, float(ci.low), float(ci.high), n, float(test.pvalue))


def paired_interval(a, b, level: float = 0.95) -> Interval:
    """Mean of the paired differences a - b (same replications, common random numbers) with its t-interval."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return mean_interval(a - b, level)


def welch_interval(x, y, level: float = 0.95) -> Interval:
    """Difference of the means of independent samples x - y with Welch's interval (unequal variances)."""
    x, y = _finite(x), _finite(y)
    if len(x) < 2 or len(y) < 2:
        d = float(x.mean() - y.mean()) if len(x) and len(y) else float("nan")
        return Interval(d, float("nan"), float("nan"), float("nan"), len(x))
    d = float(x.mean() - y.mean())
    if x.std(ddof=1) == 0.0 and y.std(ddof=1) == 0.0:
        return Interval(d, 0.0, d, d, len(x))
    ci = stats.ttest_ind(x, y, equal_var=False).confidence_interval(level)
    return Interval(d, float("nan"), float(ci.low), float(ci.high), len(x))


def adjust_p(p_values, method: str = "bh") -> np.ndarray:
    """p-values adjusted for many comparisons (Benjamini-Hochberg by default; scipy.stats.false_discovery_control).

    NaN p-values (too few replications) stay NaN and do not count as tests.
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full_like(p, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = stats.false_discovery_control(p[ok], method=method)
    return out
