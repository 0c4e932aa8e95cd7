"""The pure formulas of the mechanisms on their own: documented shapes and known values."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import ndtri

from sim.engine.mechanisms.dissolution import dissolution_hazard
from sim.engine.mechanisms.ladder import climb_probability, drop_probability
from sim.engine.mechanisms.purchases import basket
from sim.engine.mechanisms.satisfaction import posture_fit, update_satisfaction
from sim.engine.mechanisms.trust import green_trust
from sim.engine.strategies.growth import all_at_once, foot_in_the_door
from sim.scenario.schema import AllAtOnce, Dissolution, FootInTheDoor, Ladder


def test_green_trust_equation():
    assert green_trust(1.0, 1.0, 1.0, 1.0) == pytest.approx(1.0)
    assert green_trust(0.3, 0.6, 0.9, 1.0) == pytest.approx(0.6)
    assert green_trust(0.3, 0.6, 0.9, 2.0) == pytest.approx(0.3)  # doubling self-orientation halves trust


def _fold(xs, bias, primacy, floor):
    s, w = 0.0, 0.0
    for k, x in enumerate(xs):
        s, w = update_satisfaction(s, w, k, x, bias, primacy, floor)
    return s


def test_satisfaction_is_the_weighted_mean_of_experiences():
    xs = [0.5, -0.2, 0.8, -0.6, 0.1]
    bias, primacy, floor = 2.0, 0.9, 0.1
    w = [(floor + (1 - floor) * primacy**k) * (bias if x < 0 else 1.0) for k, x in enumerate(xs)]
    assert _fold(xs, bias, primacy, floor) == pytest.approx(np.dot(w, xs) / np.sum(w))


def test_negative_experiences_weigh_more():
    assert _fold([0.5, -0.5], 1.0, 1.0, 1.0) == pytest.approx(0.0)
    assert _fold([0.5, -0.5], 2.5, 1.0, 1.0) < 0.0


def test_early_experiences_weigh_more():
    early_bad = _fold([-0.5, 0.5, 0.5, 0.5], 1.0, 0.5, 0.0)
    late_bad = _fold([0.5, 0.5, 0.5, -0.5], 1.0, 0.5, 0.0)
    assert early_bad < late_bad


def test_ladder_moves_stop_at_the_ends():
    ld = Ladder()
    th = np.asarray(ld.thresholds)
    rung = np.arange(8)
    up = climb_probability(np.full(8, 10.0), rung, th, ld.up_rate, ld.steepness)
    down = drop_probability(np.full(8, -10.0), rung, th, ld.down_rate, ld.steepness)
    assert up[-1] == 0 and np.all(up[:-1] > 0.99 * ld.up_rate)
    assert down[0] == 0 and np.all(down[1:] > 0.99 * ld.down_rate)


def test_all_at_once_acceptance_rises_with_size_need_and_problem_solving():
    p = AllAtOnce()
    base = dict(trust_level=0.4, fit=0.6, size=1.0, need_u=0.4, problem_solving=0.5, p=p)
    a0 = all_at_once.acceptance(**base)
    for key, higher in (("size", 3.0), ("need_u", 0.8), ("problem_solving", 0.9)):
        assert all_at_once.acceptance(**{**base, key: higher}) > a0


def test_fitd_consistency_uplift_decays_and_asking_too_soon_backfires():
    p = FootInTheDoor()
    first = foot_in_the_door.acceptance(0.4, 0.6, 0.25, (0, 2.0), p)
    soon = foot_in_the_door.acceptance(0.4, 0.6, 0.25, (1, 0.05), p)
    timely = foot_in_the_door.acceptance(0.4, 0.6, 0.25, (1, 2.0), p)
    late = foot_in_the_door.acceptance(0.4, 0.6, 0.25, (1, 24.0), p)
    assert soon < first < timely  # Chartrand et al.: no delay backfires; with a delay the uplift is real
    assert first < late < timely  # ...and it fades with time
    bigger = foot_in_the_door.acceptance(0.4, 0.6, 0.75, (0, 2.0), p)
    assert bigger < first  # a larger request is accepted less often


def test_dependence_retains_but_destabilises():
    p = Dissolution()
    calm = dict(satisfaction=0.0, trust_level=0.4, calculative=0.2, unresolved_failure=0.0, transaction_u=0.5, p=p)
    assert dissolution_hazard(dependence=0.8, **calm) < dissolution_hazard(dependence=0.0, **calm)
    shock = {**calm, "unresolved_failure": 1.0}
    rise_dep = dissolution_hazard(dependence=0.8, **shock) - dissolution_hazard(dependence=0.8, **calm)
    rise_free = dissolution_hazard(dependence=0.0, **shock) - dissolution_hazard(dependence=0.0, **calm)
    assert rise_dep > rise_free


def test_posture_fit_follows_the_uncertainty_profile():
    # High need uncertainty: collaborative fits; high market uncertainty: transactional fits (CR lecture notes).
    assert posture_fit(0.9, 0.9, 0.1) > posture_fit(0.1, 0.9, 0.1)
    assert posture_fit(0.1, 0.1, 0.9) > posture_fit(0.9, 0.1, 0.9)


def test_basket_has_mean_one_and_the_given_cv():
    z = ndtri((np.arange(200_000) + 0.5) / 200_000)  # stratified normals: near-exact moments
    b = basket(z, 0.3)
    assert b.mean() == pytest.approx(1.0, abs=1e-3)
    assert b.std() == pytest.approx(0.3, abs=2e-3)


def test_population_draws_match_the_library_routines_they_replace():
    """Grid interpolation equals np.interp bit for bit; the categorical pick equals counting cumulative shares."""
    from sim.engine.population import _GRID, _beta_quantiles, _category, _cumulative, _on_grid

    rng = np.random.default_rng(5)
    u = np.concatenate([rng.random(20_000), _GRID[:-1], rng.random(100) * 1e-6])
    q = _beta_quantiles(2.0, 5.0)
    assert np.array_equal([_on_grid(x, q) for x in u], np.interp(u, _GRID, q))

    cum = _cumulative([[0.2, 0.3, 0.5], [0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])
    row = rng.integers(0, 3, len(u))
    assert np.array_equal(
        [_category(cum[r], x) for r, x in zip(row, u, strict=True)], (u[:, None] > cum[row]).sum(axis=1)
    )
