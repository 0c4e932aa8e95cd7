"""One migration response: the optimizer's numpy and cvxpy forms and the simulator's compiled kernel agree."""

from __future__ import annotations

import cvxpy as cp
import numpy as np

from optimize.response import migration_probability, saturation


def test_the_kernel_compiles_the_optimizers_formula_and_every_form_agrees():
    from sim.engine.mechanisms.investments import saturating

    assert saturating.py_func is saturation  # the kernel's function is the optimizer's, compiled
    rng = np.random.default_rng(3)
    spend, p_max, scale = rng.uniform(0, 50, 40), rng.uniform(0, 1, 40), rng.uniform(0.5, 30, 40)
    expected = p_max * (1.0 - np.exp(-spend / scale))
    compiled = np.array([saturating(s, p, c) for s, p, c in zip(spend, p_max, scale, strict=True)])
    np.testing.assert_array_equal(compiled, saturation(spend, p_max, scale))
    np.testing.assert_allclose(migration_probability(spend, p_max, scale), expected, rtol=1e-14)
    x = cp.Variable(40)
    x.value = spend
    np.testing.assert_allclose(migration_probability(x, p_max, scale, xp=cp).value, expected, rtol=1e-12)
    assert migration_probability(0.0, 0.7, 5.0) == 0.0 and migration_probability(1e9, 0.7, 5.0) == 0.7
