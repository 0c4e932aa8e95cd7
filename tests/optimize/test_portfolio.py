"""The efficient customer portfolio against closed forms and documented limits."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from optimize.errors import InfeasibleError, InputError, UnboundedError
from optimize.estimate import estimate, from_moments
from optimize.portfolio import Constraints, Portfolio, cvar, min_variance


@pytest.fixture
def market():
    rng = np.random.default_rng(7)
    n = 6
    a = rng.normal(size=(n, n))
    sigma = a @ a.T + n * np.eye(n)
    mu = rng.uniform(1.0, 3.0, n)
    return mu, sigma


def test_unconstrained_matches_closed_form(market):
    mu, sigma = market
    gamma = 1.7
    port = Portfolio(from_moments(mu, sigma), Constraints(capacity=None, lower=-np.inf))
    w = port.solve(gamma)["holding"].to_numpy()
    assert np.allclose(w, np.linalg.solve(sigma, mu) / (2 * gamma), rtol=1e-5, atol=1e-6)


def test_no_risk_aversion_puts_all_capacity_on_the_best_return_per_unit(market):
    mu, sigma = market
    resource = np.array([1.0, 2.0, 0.5, 1.5, 1.0, 3.0])
    port = Portfolio(from_moments(mu, sigma, resource=resource), Constraints(capacity=10.0))
    t = port.solve(0.0)
    best = int(np.argmax(mu / resource))
    assert t["resource"].iloc[best] == pytest.approx(10.0, rel=1e-5)
    # Interior-point answers are exact to about 1e-6 of the capacity.
    assert np.allclose(np.delete(t["holding"].to_numpy(), best), 0.0, atol=1e-6 * 10.0)
    # The shadow price of capacity is the best return per unit of resource.
    assert t["shadow_price"].iloc[0] == pytest.approx(mu[best] / resource[best], rel=1e-4)


def test_equal_returns_give_the_minimum_variance_portfolio(market):
    _, sigma = market
    mu = np.full(len(sigma), 2.0)
    port = Portfolio(from_moments(mu, sigma), Constraints(capacity=1.0, fully_invested=True, lower=-np.inf))
    w = port.solve(0.5)["holding"].to_numpy()
    ones = np.ones(len(mu))
    expected = np.linalg.solve(sigma, ones) / (ones @ np.linalg.solve(sigma, ones))
    assert np.allclose(w, expected, atol=1e-6)


def test_frontier_is_monotone(market):
    mu, sigma = market
    f = (
        Portfolio(from_moments(mu, sigma), Constraints(capacity=1.0, upper=0.5))
        .frontier(points=30)
        .sort_values("expected_value")
    )
    tol = 1e-6 * f["std"].max()
    assert (np.diff(f["std"].to_numpy()) >= -tol).all()  # risk never falls as expected value rises
    g = f.sort_values("gamma")
    assert (np.diff(g["expected_value"].to_numpy()) <= 1e-6 * g["expected_value"].abs().max()).all()


def test_problem_is_compiled_once_and_resolved_correctly_for_every_gamma(market):
    mu, sigma = market
    est = from_moments(mu, sigma)
    port = Portfolio(est, Constraints(capacity=1.0))
    assert port.problem.is_dcp(dpp=True)
    port.solve(0.5)
    compiled = port.problem._cache.param_prog  # cvxpy's parametrized program, built at the first solve
    assert compiled is not None
    for gamma in (0.05, 2.0, 20.0):
        reused = port.solve(gamma)["holding"].to_numpy()
        fresh = Portfolio(est, Constraints(capacity=1.0)).solve(gamma)["holding"].to_numpy()
        np.testing.assert_allclose(reused, fresh, atol=1e-5)  # the parameter, not a stale value, sets gamma
    assert port.problem._cache.param_prog is compiled  # re-solves did not recompile
    low, high = port.solve(0.05), port.solve(20.0)
    assert high["portfolio_std"].iloc[0] < low["portfolio_std"].iloc[0]  # gamma acts


def test_min_variance_for_a_target_return(market):
    mu, sigma = market
    est = from_moments(mu, sigma)
    t = min_variance(est, target=1.5, constraints=Constraints(capacity=1.0))
    assert t["portfolio_value"].iloc[0] == pytest.approx(1.5, rel=1e-5)
    with pytest.raises(InfeasibleError, match="target return .* exceeds the highest achievable"):
        min_variance(est, target=100.0, constraints=Constraints(capacity=1.0))


@pytest.mark.parametrize(
    "con,match",
    [
        (Constraints(capacity=1.0, lower=0.5), "capacity: minimum holdings use 3 but capacity is 1"),
        (Constraints(capacity=10.0, lower=0.3, upper=0.2), "minimum holding 0.3 above its limit 0.2"),
        (Constraints(capacity=10.0, upper=0.1, fully_invested=True), "fully invested needs 10"),
        (
            Constraints(capacity=10.0, lower=0.5, groups={"top": (np.array([1, 1, 1, 0, 0, 0], bool), 1.0)}),
            "group 'top'",
        ),
    ],
)
def test_infeasible_constraints_name_what_to_relax(market, con, match):
    mu, sigma = market
    with pytest.raises(InfeasibleError, match=match):
        Portfolio(from_moments(mu, sigma), con)


def test_unbounded_problem_says_what_to_add(market):
    mu, sigma = market
    port = Portfolio(from_moments(mu, sigma), Constraints(capacity=None))
    with pytest.raises(UnboundedError, match="risk aversion > 0"):
        port.solve(0.0)


def test_group_caps_hold(market):
    mu, sigma = market
    mask = np.array([1, 1, 1, 0, 0, 0], bool)
    t = Portfolio(from_moments(mu, sigma), Constraints(capacity=1.0, groups={"first": (mask, 0.2)})).solve(0.0)
    assert t["resource"].to_numpy()[mask].sum() <= 0.2 + 1e-6


def test_factor_form_matches_dense_on_the_same_risk():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 40)) @ rng.normal(size=(40, 40)) * 0.1 + rng.uniform(0.5, 1.5, 40)
    fac = estimate(x, method="factor", factors=5)
    dense = from_moments(fac.mean, fac.factors.dense())
    con = Constraints(capacity=1.0, upper=0.2)
    w_f = Portfolio(fac, con).solve(0.3)["holding"].to_numpy()
    w_d = Portfolio(dense, con).solve(0.3)["holding"].to_numpy()
    assert np.allclose(w_f, w_d, atol=1e-4)


def test_robust_portfolio_matches_the_worst_case_over_the_means_ellipsoid():
    # Two independent assets, means estimated from 9 draws: A (10, sd 3: standard error 1), B (10.5, sd 30:
    # standard error 10), one unit of capacity.  The worst case of the means within kappa = 1 standard error is
    # f(b) = 10 (1 - b) + 10.5 b - sqrt((1 - b)^2 + 100 b^2) for b held in B: a one-dimensional concave problem.
    from scipy.optimize import minimize_scalar

    est = from_moments([10.0, 10.5], np.diag([9.0, 900.0]), draws=9)
    con = Constraints(capacity=1.0, upper=1.0, fully_invested=True)
    plain = Portfolio(est, con).solve(0.0)["holding"].to_numpy()
    assert np.allclose(plain, [0.0, 1.0], atol=1e-6)  # risk-neutral: all on the higher estimated mean
    robust = Portfolio(est, con, kappa=1.0).solve(0.0)["holding"].to_numpy()
    best = minimize_scalar(
        lambda b: -(10 * (1 - b) + 10.5 * b - np.hypot(1 - b, 10 * b)), bounds=(0, 1), method="bounded"
    )
    assert robust[1] == pytest.approx(best.x, abs=1e-4)
    assert 0 < robust[1] < 0.1  # mostly the well-measured asset, a little of the other for diversification


def test_robust_portfolio_needs_the_number_of_draws(market):
    mu, sigma = market
    with pytest.raises(InputError, match="draws"):
        Portfolio(from_moments(mu, sigma), kappa=1.0)
    with pytest.raises(InputError, match="kappa"):
        Portfolio(from_moments(mu, sigma, draws=5), kappa=-1.0)


def test_cvar_variant_trades_tail_loss_for_value():
    rng = np.random.default_rng(5)
    safe = rng.normal(1.0, 0.1, 400)
    risky = np.where(rng.random(400) < 0.1, -5.0, 2.0)  # mean 1.3 > 1.0, fat left tail
    est = estimate(np.column_stack([safe, risky]))
    neutral = cvar(est, alpha=0.95, weight=0.0, constraints=Constraints(capacity=1.0))
    averse = cvar(est, alpha=0.95, weight=5.0, constraints=Constraints(capacity=1.0))
    assert neutral["holding"].iloc[1] > 0.99  # risk-neutral: all on the higher mean
    assert averse["holding"].iloc[1] < 0.5 and averse["cvar"].iloc[0] < neutral["cvar"].iloc[0]


def test_optimize_does_not_import_simpy():
    code = "import sys, optimize.portfolio, optimize.migration, optimize.estimate; print('simpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
