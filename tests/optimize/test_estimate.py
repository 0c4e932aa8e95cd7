"""Estimating means and covariances: shrinkage, factor models, repairs and clear errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optimize.errors import CovarianceWarning, EstimationError
from optimize.estimate import check_covariance, estimate, factor_model, ledoit_wolf


def test_ledoit_wolf_shrinks_more_when_draws_are_few():
    rng = np.random.default_rng(0)
    true = np.diag(np.linspace(1, 3, 30))
    few = rng.multivariate_normal(np.zeros(30), true, size=20)
    many = rng.multivariate_normal(np.zeros(30), true, size=2000)
    s_few, k_few = ledoit_wolf(few)
    s_many, k_many = ledoit_wolf(many)
    assert k_few > k_many
    assert np.linalg.eigvalsh(s_few).min() > 0  # positive definite although draws < assets
    # Shrinkage beats the raw sample covariance when draws are few.
    assert np.linalg.norm(s_few - true) < np.linalg.norm(np.cov(few, rowvar=False, bias=True) - true)


def test_factor_model_recovers_a_factor_structure():
    rng = np.random.default_rng(1)
    n, s = 200, 5000
    b = rng.normal(size=(n, 2))
    x = rng.normal(size=(s, 2)) @ b.T + rng.normal(scale=0.5, size=(s, n))
    f = factor_model(x, 2)
    w = rng.uniform(size=n) / n
    true_var = w @ (b @ b.T + 0.25 * np.eye(n)) @ w
    assert f.variance(w) == pytest.approx(true_var, rel=0.05)


def test_auto_method_picks_by_size():
    rng = np.random.default_rng(2)
    assert estimate(rng.normal(size=(100, 10))).notes == ()
    assert "Ledoit-Wolf" in estimate(rng.normal(size=(20, 50))).notes[0]
    assert estimate(rng.normal(size=(20, 300))).factors is not None


def test_non_psd_covariance_is_repaired_with_a_warning():
    bad = np.array([[2.0, 1.0, 1.5], [1.0, 2.0, 1.0], [1.5, 1.0, -0.5]])  # one negative eigenvalue
    with pytest.warns(CovarianceWarning) as caught:
        fixed, notes = check_covariance(bad)
    assert np.linalg.eigvalsh(fixed).min() >= -1e-12 and notes
    # Clipping the negative eigenvalue to zero leaves a singular matrix, which is reported too.
    messages = [str(w.message) for w in caught]
    assert any("not positive semidefinite" in m for m in messages) and any("ill-conditioned" in m for m in messages)


def test_ill_conditioned_covariance_is_reported():
    with pytest.warns(CovarianceWarning, match="ill-conditioned"):
        check_covariance(np.diag([1.0, 1e-14]))


@pytest.mark.parametrize(
    "table,match",
    [
        (np.ones((1, 3)), "at least 2 rows"),
        (pd.DataFrame({"a": [1.0, np.nan], "b": [1.0, 2.0]}), "non-finite values, e.g. in columns \\['a'\\]"),
        (np.ones(5), "2-D table"),
    ],
)
def test_bad_tables_give_clear_errors(table, match):
    with pytest.raises(EstimationError, match=match):
        estimate(table)


def test_bad_covariance_inputs():
    with pytest.raises(EstimationError, match="not symmetric"):
        check_covariance(np.array([[1.0, 0.5], [0.0, 1.0]]))
    with pytest.raises(EstimationError, match="non-finite"):
        check_covariance(np.array([[1.0, np.inf], [np.inf, 1.0]]))
