"""Buy-till-you-die models fitted by maximum likelihood: BG/NBD for purchasing and dropout, Gamma-Gamma for spend.

BG/NBD (Fader, Hardie and Lee 2005, "Counting your customers the easy way"):
while active, a customer buys as a Poisson process with rate
lambda ~ Gamma(r, alpha); after each purchase it drops out with probability
p ~ Beta(a, b).  Gamma-Gamma (Fader, Hardie and Lee 2005, "RFM and CLV"):
each transaction's value is Gamma(p, nu) with nu ~ Gamma(q, gamma), so a
customer's mean spend has mean p * gamma / (q - 1).  Time is in the unit of
the summary (weeks for the published CDNOW fits).

Log-likelihoods are written with gammaln/betaln and logaddexp so that they
stay finite for heavy buyers; standard errors come from the inverse of the
numerical Hessian of the negative log-likelihood at the optimum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import betaln, gammaln, hyp2f1

from sim.errors import UsageError


class CalibrationError(UsageError):
    """A log that cannot identify the model (too few buyers, a likelihood that cannot converge)."""


@dataclass(frozen=True)
class Fit:
    """Maximum-likelihood estimates with standard errors."""

    params: dict[str, float]
    se: dict[str, float]  # NaN where the fit is not identified
    log_likelihood: float
    n: int
    identified: bool = True  # False: the likelihood is flat or ill-conditioned at the estimates (no standard errors)

    def table(self) -> pd.DataFrame:
        """One row per parameter: estimate, standard error and whether the data identify it."""
        table = pd.DataFrame({"estimate": self.params, "se": self.se}).rename_axis("parameter").reset_index()
        return table.assign(identified=self.identified)


def bgnbd_loglik(params, frequency, recency, T) -> np.ndarray:
    """Per-customer BG/NBD log-likelihood of (x, t_x, T) for parameters (r, alpha, a, b)."""
    r, alpha, a, b = params
    x, tx, T = np.asarray(frequency, float), np.asarray(recency, float), np.asarray(T, float)
    common = gammaln(r + x) - gammaln(r) + r * np.log(alpha) + betaln(a, b + x) - betaln(a, b)
    alive = -(r + x) * np.log(alpha + T)
    # A customer with repeat purchases may have dropped out right after the last one.
    dropped = np.where(
        x > 0, np.log(a) - np.log(np.maximum(b + x - 1.0, 1e-300)) - (r + x) * np.log(alpha + tx), -np.inf
    )
    return common + np.logaddexp(alive, dropped)


def gamma_gamma_loglik(params, frequency, monetary) -> np.ndarray:
    """Per-customer Gamma-Gamma log-likelihood of mean spend `monetary` over `frequency` transactions (p, q, gamma)."""
    p, q, g = params
    x, m = np.asarray(frequency, float), np.asarray(monetary, float)
    return (
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(g)
        + (p * x - 1.0) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(g + m * x)
    )


def _hessian(f, x: np.ndarray) -> np.ndarray:
    """Central-difference Hessian of scalar f at x, with steps scaled to each coordinate."""
    n = len(x)
    h = 1e-4 * np.maximum(np.abs(x), 1e-2)
    H = np.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            ei, ej = np.eye(n)[i] * h[i], np.eye(n)[j] * h[j]
            H[i, j] = H[j, i] = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (4 * h[i] * h[j])
    return H


EDGES = (1e-6, 1e6)  # estimates outside these are taken to have run to a bound (not identified)


def _mle(nll, names: list[str], start: np.ndarray, n: int) -> Fit:
    """Minimise a negative log-likelihood over positive parameters (on the log scale), then take SEs."""

    def on_log_scale(z: np.ndarray) -> float:
        return nll(np.exp(z))

    # Quasi-Newton first, then the simplex from where it stopped: L-BFGS-B can report convergence on a steep
    # or overflowing likelihood far from the optimum, and a simplex started near the optimum ends in few steps
    # (CDNOW's BG/NBD: 4 times faster than the simplex from the start), then a last polish.
    res = optimize.minimize(on_log_scale, np.log(start), method="L-BFGS-B")
    z = res.x if np.all(np.isfinite(res.x)) and np.isfinite(res.fun) else np.log(start)
    options = {"xatol": 1e-8, "fatol": 1e-8, "maxiter": 20_000, "maxfev": 40_000}
    res = optimize.minimize(on_log_scale, z, method="Nelder-Mead", options=options)
    res = optimize.minimize(on_log_scale, res.x, method="L-BFGS-B")
    theta = np.exp(res.x)
    if not np.all(np.isfinite(theta)) or not np.isfinite(res.fun):
        raise CalibrationError(
            "the likelihood could not be maximised; check the summary for extreme or degenerate values"
        )
    # An estimate beyond EDGES has run towards 0 or infinity on the log scale: the data do not pin it, and a
    # Hessian there can give a tiny, meaningless standard error (b = 9e10 with SE 9e-15).
    se = np.where((theta > EDGES[0]) & (theta < EDGES[1]), _standard_errors(nll, theta), np.nan)
    estimates = dict(zip(names, map(float, theta), strict=True))
    identified = bool(np.all(np.isfinite(se)))
    return Fit(estimates, dict(zip(names, map(float, se), strict=True)), float(-res.fun), n, identified)


def _standard_errors(nll, theta: np.ndarray) -> np.ndarray:
    """Standard errors from the inverse Hessian, or NaN where the data do not identify the estimates.

    At a maximum the Hessian of the negative log-likelihood is positive definite; one that is not (a flat
    or ill-conditioned likelihood, a Hessian with overflow) has no covariance to report.
    """
    with np.errstate(all="ignore"):
        H = _hessian(nll, theta)
        if not np.all(np.isfinite(H)):
            return np.full(len(theta), np.nan)
        try:
            eigenvalues = np.linalg.eigvalsh(H)
            if eigenvalues.min() <= 1e-12 * max(eigenvalues.max(), 1e-300):
                return np.full(len(theta), np.nan)
            return np.sqrt(np.diag(np.linalg.inv(H)))
        except np.linalg.LinAlgError:
            return np.full(len(theta), np.nan)


def fit_bgnbd(summary: pd.DataFrame) -> Fit:
    """BG/NBD estimates (r, alpha, a, b) from columns frequency, recency, T."""
    x, tx, T = summary["frequency"].to_numpy(), summary["recency"].to_numpy(), summary["T"].to_numpy()
    if len(x) < 10:
        raise CalibrationError(f"BG/NBD needs more customers to fit (got {len(x)})")
    if np.any(tx > T + 1e-9) or np.any(x < 0):
        raise CalibrationError("summary: recency exceeds T or frequency is negative for some customers")
    nll = lambda th: -float(np.sum(bgnbd_loglik(th, x, tx, T)))  # noqa: E731
    return _mle(nll, ["r", "alpha", "a", "b"], np.array([1.0, max(float(np.mean(T)), 1.0), 1.0, 1.0]), len(x))


def fit_gamma_gamma(summary: pd.DataFrame) -> Fit:
    """Gamma-Gamma estimates (p, q, gamma) from repeat buyers' frequency and mean repeat spend."""
    rep = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    if len(rep) < 10:
        raise CalibrationError(f"Gamma-Gamma needs repeat buyers with positive spend; found {len(rep)}")
    x, m = rep["frequency"].to_numpy(), rep["monetary_value"].to_numpy()
    nll = lambda th: -float(np.sum(gamma_gamma_loglik(th, x, m)))  # noqa: E731
    return _mle(nll, ["p", "q", "gamma"], np.array([1.0, 1.0, float(np.mean(m))]), len(rep))


def expected_purchases(t, r, alpha, a, b):
    """E[X(t)]: expected repeat purchases of a new customer by time t (Fader, Hardie and Lee 2005, eq. 9)."""
    t = np.asarray(t, dtype=float)
    z = t / (alpha + t)
    return (a + b - 1.0) / (a - 1.0) * (1.0 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1.0, z))


def conditional_expected_purchases(t, frequency, recency, T, r, alpha, a, b):
    """E[Y(t) | x, t_x, T]: expected purchases in the next t of a customer with that history (eq. 10)."""
    x, tx, T = np.asarray(frequency, float), np.asarray(recency, float), np.asarray(T, float)
    lead = (a + b + x - 1.0) / (a - 1.0)
    body = 1.0 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1.0, t / (alpha + T + t))
    # 1 / (1 + delta * a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x)), on the log scale for stability
    log_odds = np.where(
        x > 0,
        np.log(a) - np.log(np.maximum(b + x - 1.0, 1e-300)) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx)),
        -np.inf,
    )
    return lead * body / (1.0 + np.exp(log_odds))


def simulate_transactions(
    n: int, horizon: np.ndarray | float, r: float, alpha: float, a: float, b: float, rng: np.random.Generator
) -> list[np.ndarray]:
    """Exact BG/NBD repeat-purchase times for n customers observed for `horizon` (per customer or one value)."""
    lam = rng.gamma(r, 1.0 / alpha, n)
    p = rng.beta(a, b, n)
    horizon = np.broadcast_to(np.asarray(horizon, dtype=float), (n,))
    out = []
    for k in range(n):
        times, t = [], 0.0
        while True:
            t += rng.exponential(1.0 / lam[k])
            if t > horizon[k]:
                break
            times.append(t)
            if rng.random() < p[k]:
                break
        out.append(np.array(times))
    return out


def summary_from_times(times: list[np.ndarray], T: np.ndarray | float) -> pd.DataFrame:
    """The (frequency, recency, T) summary of simulated repeat-purchase times."""
    T = np.broadcast_to(np.asarray(T, dtype=float), (len(times),))
    return pd.DataFrame(
        {
            "frequency": [len(ts) for ts in times],
            "recency": [ts[-1] if len(ts) else 0.0 for ts in times],
            "T": T,
        }
    )
