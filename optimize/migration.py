"""Migration investments: what to spend per rung (and segment) to move customers up the loyalty ladder.

the CR lecture notes' migration strategy asks to quantify the benefit of each rung
relative to the adjacent rungs and the cost of moving customers between
rungs.  Here the value of a rung is its Markov-chain CLV
``v = (I - P/(1+i))^-1 r`` (Pfeifer and Carraway 2000), the benefit of a
move is ``v[k+1] - v[k]``, and spending ``s`` a month on a customer moves it
up with the concave, saturating chance ``p_max (1 - exp(-s / scale))``::

    maximize    sum_k N_k (p(s_k) * benefit_k - s_k)
    subject to  sum_k N_k s_k <= budget,  s >= 0

The risk-aware variant replaces each benefit by its mean minus ``kappa``
standard deviations over replications (a lower-confidence benefit).
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pandas as pd

from optimize.clv import markov_clv
from optimize.errors import EstimationError, InfeasibleError, InputError
from optimize.portfolio import solve
from optimize.response import migration_probability

LADDER_RUNGS = 8  # the loyalty ladder of the seeds; a panel's rungs are numbered 1..this


def ladder_from_panel(panel: pd.DataFrame, rungs: int = LADDER_RUNGS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Estimate the monthly rung-to-rung matrix (8 x 9, last column dissolution) and margin per rung.

    `panel` is a customer-period table (columns replication, customer, period,
    stage, rung, margin), as :attr:`sim.results.tables.Results.customers`.  Every
    customer still in the market at the start of a month counts, prospects
    included: they stand on the ladder and the simulator spends on them too.  Returns
    (P, margins, counts) where counts are the customer-months seen per rung;
    rungs never seen keep their customers in place with zero margin.
    """
    need = {"replication", "customer", "period", "stage", "rung", "margin"}
    missing = need - set(panel.columns)
    if missing:
        raise EstimationError(f"panel: missing columns {sorted(missing)}; pass Results.customers")
    p = panel.sort_values(["replication", "customer", "period"])
    nxt = p.groupby(["replication", "customer"], sort=False)
    next_rung = nxt["rung"].shift(-1)
    next_stage = nxt["stage"].shift(-1)
    live = (p["stage"] != "dissolution").to_numpy() & next_rung.notna().to_numpy()
    k = p["rung"].to_numpy()[live].astype(int) - 1
    j = np.where(next_stage[live].to_numpy() == "dissolution", rungs, next_rung[live].to_numpy().astype(int) - 1)
    counts = np.zeros((rungs, rungs + 1))
    np.add.at(counts, (k, j), 1.0)
    seen = counts.sum(axis=1)
    P = np.where(seen[:, None] > 0, counts / np.maximum(seen, 1)[:, None], np.eye(rungs, rungs + 1))
    alive = p[p["stage"] != "dissolution"]
    margins = alive.groupby("rung")["margin"].mean().reindex(range(1, rungs + 1)).fillna(0.0).to_numpy()
    return P, margins, seen


def rung_values(P: np.ndarray, margins: np.ndarray, rate: float, horizon: int | None = None) -> np.ndarray:
    """Value of a customer on each rung (Markov-chain CLV)."""
    return markov_clv(P, margins, rate, horizon)


def horizon_benefits(P: np.ndarray, margins: np.ndarray, rate: float, horizon: int) -> np.ndarray:
    """Benefit of a one-rung move made during a `horizon`-month plan, valued to the plan's end.

    A move in month t is worth the value difference over the remaining
    ``horizon - t`` months; this averages it over the months, weighted by
    discounting (the moves customer equity over the horizon can see).
    """
    d = 1.0 / (1.0 + rate)
    r = np.asarray(margins, dtype=float)
    M = np.asarray(P, dtype=float)[:, : len(r)] * d
    value, term = np.zeros(len(r)), r.copy()
    remaining = []
    for _ in range(horizon):  # value over the next h months, h = 1..horizon
        value = value + term
        term = M @ term
        remaining.append(rung_benefits(value))
    weights = d ** np.arange(horizon)
    return np.tensordot(weights, np.array(remaining[::-1]), axes=1) / weights.sum()


def rung_benefits(values: np.ndarray) -> np.ndarray:
    """Benefit of moving one rung up from each rung (the top rung has none)."""
    v = np.asarray(values, dtype=float)
    return np.append(np.diff(v), 0.0)


def plan_spend(
    customers: np.ndarray,
    benefits: np.ndarray,
    budget: float,
    p_max: float | np.ndarray,
    scale: float | np.ndarray,
    spread: np.ndarray | None = None,
    kappa: float = 0.0,
    labels: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Optimal monthly spend per customer for each rung (or segment x rung cell).

    customers, benefits (and spread) are arrays of the same shape, one entry
    per cell.  Returns one row per cell with the spend, the chance of moving,
    the expected moves and gain, and the shadow price of the budget.
    """
    n = np.asarray(customers, dtype=float).reshape(-1)
    b = np.asarray(benefits, dtype=float).reshape(-1)
    if n.shape != b.shape:
        raise InputError(f"customers {n.shape} and benefits {b.shape} must have the same shape")
    if budget < 0 or not np.isfinite(budget):
        raise InfeasibleError(f"budget = {budget}: must be a finite amount >= 0")
    if np.any(n < 0):
        raise InputError("customers: counts must be >= 0")
    pm = np.broadcast_to(np.asarray(p_max, dtype=float), n.shape)
    sc = np.broadcast_to(np.asarray(scale, dtype=float), n.shape)
    if np.any((pm < 0) | (pm > 1)) or np.any(sc <= 0):
        raise InputError("p_max must lie in [0, 1] and scale must be > 0")
    if not (np.all(np.isfinite(n)) and np.all(np.isfinite(b))):
        raise InputError("customers and benefits must be finite numbers; check the ladder estimate for NaN")
    adj = b if spread is None else b - kappa * np.asarray(spread, dtype=float).reshape(-1)
    # Only cells where a move is worth something and customers exist get a variable.
    worth = (adj > 0) & (n > 0) & (pm > 0)
    spend = np.zeros_like(n)
    shadow = 0.0
    if worth.any() and budget > 0:
        s = cp.Variable(int(worth.sum()), nonneg=True, name="spend")
        nn, aa, pp, ss = n[worth], adj[worth], pm[worth], sc[worth]
        gain = cp.sum(cp.multiply(nn * aa, migration_probability(s, pp, ss, xp=cp))) - nn @ s
        limit = nn @ s <= budget
        prob = cp.Problem(cp.Maximize(gain), [limit])
        solve(prob, "migration plan", "raise the budget")
        spend[worth] = np.maximum(np.asarray(s.value, dtype=float), 0.0)
        # Interior-point solvers leave crumbs of ~1e-9 where the answer is 0.
        spend[spend < 1e-7 * max(float(spend.max()), 1.0)] = 0.0
        shadow = float(limit.dual_value or 0.0)
    p = migration_probability(spend, pm, sc)
    table = pd.DataFrame(
        {
            "customers": n,
            "benefit": b,
            "risk_adjusted_benefit": adj,
            "spend_per_customer": spend,
            "total_spend": n * spend,
            "move_probability": p,
            "expected_moves": n * p,
            "expected_gain": n * p * b - n * spend,
            "shadow_price": shadow,
        }
    )
    if labels is not None:
        table = pd.concat([labels.reset_index(drop=True), table], axis=1)
    return table


def policy_matrix(P: np.ndarray, move: np.ndarray) -> np.ndarray:
    """The monthly matrix when a customer on rung k first moves up with chance move[k], else follows P."""
    P = np.asarray(P, dtype=float)
    move = np.asarray(move, dtype=float)
    top = len(move) - 1
    out = (1.0 - move)[:, None] * P
    for k in range(top):
        out[k, k + 1] += move[k]
    out[top, top] += move[top]  # the top rung cannot climb: it stays
    return out


def predicted_gain(P, margins, spend, move, start, rate, horizon) -> float:
    """Expected change in discounted value over `horizon` months of customers starting on rungs `start` (counts).

    Evaluates the policy exactly as a Markov chain: spend is a monthly cost on
    each rung, and the policy matrix adds the migration moves.
    """
    base = markov_clv(P, margins, rate, horizon)
    with_plan = markov_clv(policy_matrix(P, move), np.asarray(margins) - spend, rate, horizon)
    return float(np.asarray(start, dtype=float) @ (with_plan - base))


def plan_investments(
    value: np.ndarray,
    scale: np.ndarray,
    cost: np.ndarray,
    monthly: np.ndarray,
    budget: float,
    upper: np.ndarray,
) -> tuple[np.ndarray, float]:
    """Monthly spend per customer for each cell that maximises the measured net response under a monthly budget.

    Cell c's response to spend x is ``value_c (1 - exp(-x / scale_c)) - cost_c x``
    (gross value to the horizon, less the discounted spend), ``monthly_c x`` is
    what it spends a month, and ``x <= upper_c`` keeps the plan where the
    response was measured (the trust region).  Returns (spend, shadow price of the budget).
    """
    v, sc, c, m, up = (np.asarray(a, dtype=float).reshape(-1) for a in (value, scale, cost, monthly, upper))
    if not np.isfinite(budget) or budget < 0:
        raise InfeasibleError(f"budget = {budget}: must be a finite amount >= 0")
    if not all(np.all(np.isfinite(a)) for a in (v, sc, c, m, up)) or np.any(sc <= 0) or np.any(m < 0):
        raise EstimationError("the measured response has non-finite or negative terms; run more replications")
    worth = (v > 0) & (m > 0) & (up > 0) & (v / sc > c)  # the first unit of spend must pay for itself
    spend = np.zeros_like(v)
    if not worth.any() or budget == 0:
        return spend, 0.0
    # Solved in scaled units, so that every term is of order 1 whatever the currency and market size (the
    # exponential cone solvers lose accuracy otherwise): spend in units of each cell's scale, value in units
    # of the largest cell's, the budget as 1.
    v, sc, c, m, up = v[worth], sc[worth], c[worth], m[worth], up[worth]
    unit = float(v.max())
    y = cp.Variable(len(v), nonneg=True, name="spend_in_scales")
    net = cp.sum(migration_probability(y, v / unit, 1.0, xp=cp)) - (c * sc / unit) @ y
    limit = (m * sc / budget) @ y <= 1.0
    solve(cp.Problem(cp.Maximize(net), [limit, y <= up / sc]), "investment plan", "raise the budget")
    spend[worth] = np.clip(np.asarray(y.value, dtype=float) * sc, 0.0, up)
    spend[spend < 1e-7 * max(float(spend.max()), 1.0)] = 0.0  # interior-point crumbs
    return spend, float(limit.dual_value or 0.0) * unit / budget


def greedy_allocation(levels: np.ndarray, gains: np.ndarray, monthly: np.ndarray, budget: float) -> np.ndarray:
    """Spend per cell bought greedily, step by measured step, by the best measured gain per unit of monthly spend.

    `levels` and `gains` (cells x L, level 0 first, gain 0 there) are the design's
    measured points; a cell climbs to its next level while that step returns the
    most per currency unit a month and the budget lasts.  The benchmark the
    fitted plan has to beat.
    """
    lv, g = np.asarray(levels, dtype=float), np.asarray(gains, dtype=float)
    m = np.asarray(monthly, dtype=float)
    at = np.zeros(len(lv), dtype=int)
    left = float(budget)
    while True:
        nxt = np.minimum(at + 1, lv.shape[1] - 1)
        rows = np.arange(len(lv))
        step_cost = (lv[rows, nxt] - lv[rows, at]) * m
        step_gain = g[rows, nxt] - g[rows, at]
        ok = (nxt > at) & (step_cost > 0) & (step_cost <= left) & (step_gain > 0)
        if not ok.any():
            return lv[rows, at]
        ratio = np.where(ok, step_gain / np.where(step_cost > 0, step_cost, 1.0), -np.inf)
        best = int(np.argmax(ratio))
        left -= step_cost[best]
        at[best] += 1
