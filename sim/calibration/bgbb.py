"""BG/BB: buy-till-you-die in discrete time (Fader, Hardie and Shang 2010, "Customer-base analysis in a
discrete-time noncontractual setting", Marketing Science 29(6)).

Customers get one transaction opportunity a period (a yearly appeal, a quarterly catalogue).  While alive, a
customer transacts at an opportunity with probability p ~ Beta(alpha, beta); before each opportunity after
the first it becomes inactive for good with probability theta ~ Beta(gamma, delta).  A customer's history is
(x, t_x, n): its repeat transactions, the opportunity of the last one (0: none) and the opportunities it has had
since its first transaction.  Summaries may carry a `weights` column (customers sharing the same history).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import betaln, gammaln, logsumexp

from sim.calibration.bgnbd import CalibrationError, Fit, _mle

PARAMETERS = ["alpha", "beta", "gamma", "delta"]
#: Calendar periods a discrete-time log can have: pandas period codes, and months per period.
PERIODS = {"year": ("Y", 12), "quarter": ("Q", 3), "month": ("M", 1)}


def bgbb_loglik(params, frequency, recency, n) -> np.ndarray:
    """Per-customer BG/BB log-likelihood of (x, t_x, n) for parameters (alpha, beta, gamma, delta) (FHS 2010, eq. 5).

    The first term is a customer alive through all n opportunities; term i of the sum one that became inactive
    just after opportunity t_x + i, having made no transaction after t_x.
    """
    a, b, g, d = params
    x, tx, n = (np.asarray(v, dtype=float) for v in (frequency, recency, n))
    alive = betaln(a + x, b + n - x) - betaln(a, b) + betaln(g, d + n) - betaln(g, d)
    i = np.arange(int(np.max(n - tx, initial=0)))[None, :]
    gone = betaln(a + x[:, None], b + tx[:, None] - x[:, None] + i) - betaln(a, b)
    gone = gone + betaln(g + 1.0, d + tx[:, None] + i) - betaln(g, d)
    gone = np.where(i < (n - tx)[:, None], gone, -np.inf)
    return logsumexp(np.column_stack([alive, gone]), axis=1)


def fit_bgbb(summary: pd.DataFrame) -> Fit:
    """BG/BB maximum-likelihood estimates (alpha, beta, gamma, delta) from columns frequency, recency, n[, weights]."""
    x, tx, n = (summary[c].to_numpy(dtype=float) for c in ("frequency", "recency", "n"))
    w = summary["weights"].to_numpy(dtype=float) if "weights" in summary else np.ones(len(x))
    if w.sum() < 10:
        raise CalibrationError(f"BG/BB needs more customers to fit (got {w.sum():,.0f})")
    if np.any(tx > n) or np.any(x > tx) or np.any((x > 0) != (tx > 0)) or np.any(x < 0):
        raise CalibrationError(
            "summary: each customer needs 0 <= frequency <= recency <= n, and recency 0 exactly when frequency is 0"
        )
    nll = lambda th: -float(w @ bgbb_loglik(th, x, tx, n))  # noqa: E731
    return _mle(nll, PARAMETERS, np.ones(4), int(w.sum()))


def expected_purchases(n, alpha, beta, gamma, delta):
    """E[X(n)]: expected repeat transactions of a new customer in its n opportunities after the first (eq. 7)."""
    n = np.asarray(n, dtype=float)
    ratio = np.exp(gammaln(gamma + delta) - gammaln(gamma + delta + n) + gammaln(1 + delta + n) - gammaln(1 + delta))
    return alpha / (alpha + beta) * delta / (gamma - 1.0) * (1.0 - ratio)


def conditional_expected_purchases(future, frequency, recency, n, alpha, beta, gamma, delta):
    """E[X(n, n + future) | x, t_x, n]: expected transactions in the next `future` opportunities (eq. 13)."""
    x, tx, n = (np.asarray(v, dtype=float) for v in (frequency, recency, n))
    log_l = bgbb_loglik((alpha, beta, gamma, delta), x, tx, n)
    lead = betaln(alpha + x + 1.0, beta + n - x) - betaln(alpha, beta) + gammaln(gamma + delta) - gammaln(1 + delta)
    now = np.exp(gammaln(1 + delta + n) - gammaln(gamma + delta + n))
    later = np.exp(gammaln(1 + delta + n + future) - gammaln(gamma + delta + n + future))
    return np.exp(lead - log_l) * delta / (gamma - 1.0) * (now - later)


def period_summary(log: pd.DataFrame, end: pd.Timestamp | str, period: str) -> pd.DataFrame:
    """The (x, t_x, n) history of each customer over calendar periods up to `end`, with mean repeat spend.

    A period with one or more transactions counts once; the period of the first transaction is opportunity 0,
    so n is the number of whole periods from the next one to the period of `end`.
    """
    code = PERIODS[period][0]
    end = pd.Timestamp(end)
    seen = log[log["date"] <= end]
    when = seen["date"].dt.to_period(code).astype("int64")
    last = end.to_period(code).ordinal
    per = seen.assign(opportunity=when).groupby(["customer", "opportunity"])["amount"].sum().reset_index()
    first = per.groupby("customer")["opportunity"].transform("min")
    per["since"] = per["opportunity"] - first
    repeat = per[per["since"] > 0]
    out = pd.DataFrame(index=pd.Index(per["customer"].unique(), name="customer"))
    firsts = per.groupby("customer")["opportunity"].min()
    out["frequency"] = repeat.groupby("customer").size().reindex(out.index, fill_value=0)
    out["recency"] = repeat.groupby("customer")["since"].max().reindex(out.index, fill_value=0)
    out["n"] = last - firsts.reindex(out.index)
    out["monetary_value"] = repeat.groupby("customer")["amount"].mean().reindex(out.index, fill_value=0.0)
    out["first_period"] = firsts.reindex(out.index)
    if "segment" in log:
        out["segment"] = log.groupby("customer")["segment"].first().reindex(out.index)
    return out


def discrete_calendar(log: pd.DataFrame) -> str | None:
    """The period of a log whose timing is discrete, or None.

    A log is discrete at a period when no customer transacts on two dates within one period and the
    transactions fall on few dates: at most two distinct dates per period the log spans (an appeal, a
    catalogue, a renewal date).  The coarsest such period is returned, from year to month.
    """
    dates = log["date"].dt.normalize()
    for period, (code, _) in PERIODS.items():
        spans = dates.dt.to_period(code)
        periods = spans.nunique()
        if periods < 3:
            continue
        once = not log.assign(p=spans, d=dates).groupby(["customer", "p"])["d"].nunique().gt(1).any()
        if once and dates.nunique() <= 2 * periods:
            return period
    return None
