"""The mean-variance efficient customer portfolio (CIF notes: the "efficient set" of customers).

Choose how much of the firm's capacity (or service / investment budget) to
put on each asset, a customer or a segment, where holding ``w_j`` units
earns ``mu_j w_j`` in expectation, uses ``a_j w_j`` of the capacity, and the
portfolio's variance is ``w' Sigma w``::

    maximize    mu' w - kappa * ||S^(1/2) w|| - gamma * w' Sigma w
    subject to  a' w <= capacity            (dual: shadow price of capacity)
                lower <= w <= upper         (minimum holdings, position limits)
                sum_{j in g} a_j w_j <= cap_g   for each group g

``S = Sigma / draws`` is the covariance of the estimated means: with
``kappa > 0`` the objective is the worst case of ``mu' w`` over the
ellipsoid of means within ``kappa`` standard errors (a second-order cone;
Ben-Tal and Nemirovski 1998, Goldfarb and Iyengar 2003), so a holding that
looks good only because its mean was estimated high is held less.

The problem is built once with cvxpy Parameters (DPP) and re-solved for
every risk aversion on the frontier.  Large portfolios use the factor form
of the risk, so no n x n matrix is formed.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import cvxpy as cp
import numpy as np
import pandas as pd

from optimize.errors import InfeasibleError, InputError, SolverError, UnboundedError
from optimize.estimate import Estimate

SOLVERS = ("CLARABEL", "SCS")  # tried in order; the first acceptable answer wins
OK = (cp.OPTIMAL,)


@dataclass(frozen=True)
class Constraints:
    """Capacity, bounds and group limits of a portfolio."""

    capacity: float | None = 1.0  # total resource a' w may use; None = no budget
    lower: np.ndarray | float = 0.0  # minimum holdings
    upper: np.ndarray | float | None = None  # position limits (None = no limit)
    groups: dict[str, tuple[np.ndarray, float]] = field(default_factory=dict)  # name -> (member mask, cap)
    fully_invested: bool = False  # a' w == capacity instead of <=


def held(holding: np.ndarray | pd.Series) -> np.ndarray:
    """Which holdings are positions, not solver round-off: above a millionth of the largest, or of one unit."""
    h = np.asarray(holding, dtype=float)
    return h > 1e-6 * max(float(np.abs(h).max(initial=0.0)), 1.0)


def check_feasible(est: Estimate, con: Constraints) -> None:
    """Raise InfeasibleError naming the constraint to relax, before any solver runs."""
    n = est.n
    a = est.resource if est.resource is not None else np.ones(n)
    lower = np.broadcast_to(np.asarray(con.lower, dtype=float), (n,))
    if con.capacity is not None and not (np.isfinite(con.capacity) and con.capacity >= 0):
        raise InputError(f"capacity = {con.capacity}: must be a finite amount >= 0")
    bounds = [lower] + ([np.asarray(con.upper, dtype=float)] if con.upper is not None else [])
    if any(np.any(np.isnan(b)) for b in bounds):  # -inf / inf are fine: no bound on that side
        raise InputError("bounds: minimum holdings and position limits must be numbers, not NaN")
    if con.upper is not None:
        upper = np.broadcast_to(np.asarray(con.upper, dtype=float), (n,))
        bad = np.flatnonzero(lower > upper + 1e-12)
        if bad.size:
            j = bad[0]
            raise InfeasibleError(
                f"bounds: asset {est.assets[j]!r} has minimum holding {lower[j]:g} above its limit {upper[j]:g}; "
                "lower the minimum or raise the limit"
            )
    need = float(a @ lower)
    if con.capacity is not None and need > con.capacity + 1e-9:
        raise InfeasibleError(
            f"capacity: minimum holdings use {need:g} but capacity is {con.capacity:g}; "
            "raise capacity or lower minimum holdings"
        )
    if (
        con.fully_invested
        and con.capacity is not None
        and con.upper is not None
        and float(a @ upper) < con.capacity - 1e-9
    ):
        raise InfeasibleError(
            f"capacity: fully invested needs {con.capacity:g} but position limits allow only {float(a @ upper):g}; "
            "raise limits or allow unused capacity"
        )
    for name, (mask, cap) in con.groups.items():
        g_need = float(a[mask] @ lower[mask])
        if g_need > cap + 1e-9:
            raise InfeasibleError(
                f"group {name!r}: minimum holdings use {g_need:g} but the group cap is {cap:g}; "
                "raise the cap or lower minimum holdings in the group"
            )


def _risk(w: cp.Variable, est: Estimate) -> cp.Expression:
    if est.factors is not None:
        f = est.factors
        return cp.sum_squares(np.sqrt(f.factor_var)[:, None] * f.loadings.T @ w) + cp.sum_squares(
            cp.multiply(np.sqrt(f.idiosyncratic), w)
        )
    return cp.quad_form(w, cp.psd_wrap(est.covariance))


def _risk_root(w: cp.Variable, est: Estimate) -> cp.Expression:
    """A vector v(w) with ||v||^2 = w' Sigma w (factor form, or Sigma's eigen square root)."""
    if est.factors is not None:
        f = est.factors
        return cp.hstack([np.sqrt(f.factor_var)[:, None] * f.loadings.T @ w, cp.multiply(np.sqrt(f.idiosyncratic), w)])
    vals, vecs = np.linalg.eigh(est.covariance)
    return (vecs * np.sqrt(np.clip(vals, 0.0, None))).T @ w


def _constraint_list(w: cp.Variable, est: Estimate, con: Constraints) -> tuple[list, cp.Constraint | None]:
    n = est.n
    a = est.resource if est.resource is not None else np.ones(n)
    cons = [w >= np.broadcast_to(np.asarray(con.lower, dtype=float), (n,))]
    if con.upper is not None:
        cons.append(w <= np.broadcast_to(np.asarray(con.upper, dtype=float), (n,)))
    budget = None
    if con.capacity is not None:
        budget = (a @ w == con.capacity) if con.fully_invested else (a @ w <= con.capacity)
        cons.append(budget)
    for mask, cap in con.groups.values():
        cons.append(a[mask] @ w[np.flatnonzero(mask)] <= cap)
    return cons, budget


def solve(problem: cp.Problem, what: str, relax: str) -> None:
    """Solve with fallbacks; turn every failure into a named error saying what to change."""
    statuses = []
    for solver in SOLVERS:
        if solver not in cp.installed_solvers():
            continue
        try:
            with warnings.catch_warnings():  # an inaccurate status is handled below: the next solver is tried
                warnings.filterwarnings("ignore", message="Solution may be inaccurate")
                problem.solve(solver=solver)
        except cp.SolverError as exc:
            statuses.append(f"{solver}: {exc}")
            continue
        statuses.append(f"{solver}: {problem.status}")
        if problem.status in OK:
            return
        if problem.status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
            raise InfeasibleError(f"{what}: constraints cannot all hold; {relax}")
        if problem.status in (cp.UNBOUNDED, cp.UNBOUNDED_INACCURATE):
            raise UnboundedError(
                f"{what}: the objective is unbounded; set a capacity, position limits, or risk aversion > 0"
            )
    raise SolverError(f"{what}: no solver returned an accurate answer ({'; '.join(statuses)}); rescale the inputs")


class Portfolio:
    """A mean-variance portfolio problem built once and re-solved for any risk aversion."""

    def __init__(self, est: Estimate, constraints: Constraints | None = None, kappa: float = 0.0) -> None:
        if not (np.isfinite(kappa) and kappa >= 0):
            raise InputError(f"kappa = {kappa}: the robustness (standard errors of the means) must be >= 0")
        if kappa > 0 and not est.draws:
            raise InputError("kappa > 0 needs the number of draws behind the means: estimate() records it")
        self.est = est
        self.con = constraints or Constraints()
        check_feasible(est, self.con)
        self.w = cp.Variable(est.n, name="holding")
        self.gamma = cp.Parameter(nonneg=True, name="risk_aversion")
        self.risk = _risk(self.w, est)
        cons, self.budget = _constraint_list(self.w, est, self.con)
        value = est.mean @ self.w
        if kappa > 0:  # worst case over means within kappa standard errors
            value = value - kappa / np.sqrt(est.draws) * cp.norm(_risk_root(self.w, est), 2)
        self.problem = cp.Problem(cp.Maximize(value - self.gamma * self.risk), cons)
        assert self.problem.is_dcp(dpp=True)

    def solve(self, gamma: float) -> pd.DataFrame:
        """Holdings for risk aversion `gamma` as a table (one row per asset)."""
        if gamma < 0:
            raise InputError(f"gamma = {gamma}: risk aversion must be >= 0")
        self.gamma.value = gamma
        solve(self.problem, "portfolio", "raise capacity or group caps, or lower minimum holdings")
        return self._table(gamma)

    def frontier(self, gammas: np.ndarray | None = None, points: int = 50) -> pd.DataFrame:
        """Expected value, standard deviation and shadow price along the efficient frontier (one row per gamma)."""
        if gammas is None:
            gammas = self.default_gammas(points)
        rows = []
        for g in gammas:
            t = self.solve(float(g))
            rows.append({"gamma": g, **_summary(t)})
        return pd.DataFrame(rows)

    def default_gammas(self, points: int) -> np.ndarray:
        """Risk aversions spanning the frontier, from near risk-neutral to near minimum variance."""
        scale = float(np.mean(np.abs(self.est.mean))) / max(float(np.mean(self.est.std() ** 2)), 1e-300)
        return np.geomspace(1e-3 * scale, 1e3 * scale, points)

    def _table(self, gamma: float) -> pd.DataFrame:
        w = np.asarray(self.w.value, dtype=float)
        a = self.est.resource if self.est.resource is not None else np.ones(self.est.n)
        shadow = (
            float(self.budget.dual_value) if self.budget is not None and self.budget.dual_value is not None else 0.0
        )
        return pd.DataFrame(
            {
                "asset": self.est.assets,
                "holding": w,
                "resource": a * w,
                "expected_value": self.est.mean * w,
                "asset_mean": self.est.mean,
                "asset_std": self.est.std(),
                "gamma": gamma,
                "portfolio_value": float(self.est.mean @ w),
                "portfolio_std": np.sqrt(max(self.est.variance(w), 0.0)),
                "shadow_price": abs(shadow),
            }
        )


def _summary(table: pd.DataFrame) -> dict[str, float]:
    first = table.iloc[0]
    return {
        "expected_value": float(first.portfolio_value),
        "std": float(first.portfolio_std),
        "resource_used": float(table.resource.sum()),
        "shadow_price": float(first.shadow_price),
        "assets_held": int(held(table.holding).sum()),
    }


def min_variance(est: Estimate, target: float, constraints: Constraints | None = None) -> pd.DataFrame:
    """The minimum-variance holdings that reach expected value `target` (a point on the frontier)."""
    con = constraints or Constraints()
    check_feasible(est, con)
    w = cp.Variable(est.n, name="holding")
    cons, budget = _constraint_list(w, est, con)
    best = cp.Problem(cp.Maximize(est.mean @ w), cons)
    solve(best, "highest achievable value", "raise capacity or position limits")
    top = float(best.value)
    if target > top + 1e-9 * max(1.0, abs(top)):
        raise InfeasibleError(
            f"target return {target:g} exceeds the highest achievable {top:g} under these constraints; "
            "lower the target or raise capacity / position limits"
        )
    p = cp.Problem(cp.Minimize(_risk(w, est)), cons + [est.mean @ w >= target])
    solve(p, "minimum-variance portfolio", "lower the target return")
    port = Portfolio.__new__(Portfolio)  # reuse the table layout without rebuilding a problem
    port.est, port.w, port.budget = est, w, budget
    return port._table(gamma=float("nan"))


def cvar(
    est: Estimate, alpha: float = 0.95, weight: float = 1.0, constraints: Constraints | None = None
) -> pd.DataFrame:
    """Maximize expected value minus `weight` x CVaR_alpha of the loss, over the simulated scenarios.

    CVaR is the mean loss in the worst (1 - alpha) share of scenarios, written
    as a linear program (Rockafellar and Uryasev 2000).
    """
    if est.scenarios is None:
        raise InputError("cvar needs an Estimate made from scenarios (optimize.estimate.estimate)")
    if not 0 < alpha < 1:
        raise InputError(f"alpha = {alpha}: must be strictly between 0 and 1")
    con = constraints or Constraints()
    check_feasible(est, con)
    x = est.scenarios
    s = x.shape[0]
    w = cp.Variable(est.n, name="holding")
    t = cp.Variable(name="value_at_risk")
    cons, budget = _constraint_list(w, est, con)
    tail = t + cp.sum(cp.pos(-x @ w - t)) / ((1.0 - alpha) * s)
    p = cp.Problem(cp.Maximize(est.mean @ w - weight * tail), cons)
    solve(p, "CVaR portfolio", "raise capacity or lower minimum holdings")
    port = Portfolio.__new__(Portfolio)
    port.est, port.w, port.budget = est, w, budget
    table = port._table(gamma=float("nan"))
    table["cvar"] = float(tail.value)
    return table
