"""Same seed, same tables; different seed, different tables; serial equals parallel."""

from __future__ import annotations

import pandas as pd

from sim.engine.simulate import simulate
from sim.experiments import run
from sim.results.tables import Results
from tests.conftest import small


def _same(a: Results, b: Results) -> None:
    for name in Results.tables:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))


def test_same_seed_same_tables():
    sc = small()
    _same(run(sc), run(sc))


def test_different_seeds_differ():
    sc = small()
    a, b = run(sc, seed=1), run(sc, seed=2)
    assert not a.replications["profit"].equals(b.replications["profit"])
    assert not a.customers["margin"].equals(b.customers["margin"])


def test_replications_differ_from_each_other():
    reps = run(small()).replications
    assert reps["profit"].nunique() == len(reps)


def test_serial_and_parallel_identical():
    sc = small()
    _same(run(sc, n_jobs=1), run(sc, n_jobs=2))


def test_one_replication_alone_equals_it_in_a_batch():
    sc = small()
    batch = run(sc)
    alone = Results.from_replications(sc, [simulate(sc, replication=2)])
    row = batch.replications[batch.replications.replication == 2].reset_index(drop=True)
    pd.testing.assert_frame_equal(alone.replications, row)


def test_markov_mode_is_deterministic_too():
    sc = small(
        behaviour="markov",
        markov={"transitions": [[0.9, 0.1] + [0.0] * 6] + [[0.0] * k + [0.8, 0.2] + [0.0] * (6 - k) for k in range(7)]},
    )
    _same(run(sc), run(sc))
