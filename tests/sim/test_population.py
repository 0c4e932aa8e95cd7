"""The population: the referral pool's places are drawn as they are taken, the same customers as drawn at once."""

from __future__ import annotations

import gc
import pickle
import subprocess
import sys
import weakref

import numpy as np
import pytest

from sim.engine.modes import mode_for
from sim.engine.population import Pool, draw_population
from sim.engine.simulate import simulate
from sim.engine.state import RECORD
from sim.engine.streams import Purpose, stream
from tests.conftest import small
from tests.reference import configurations


def _population(sc):
    return draw_population(sc, stream(sc.seed, 0, Purpose.POPULATION), mode_for(sc))


@pytest.mark.parametrize("chunk", [1, 37, 100_000])
def test_pool_places_are_the_same_customers_whatever_the_chunks(monkeypatch, chunk):
    sc = small(population={"customers": 300, "cohorts": [40, 20], "referral_pool": 0.5})
    whole = _population(sc)
    whole.take(whole.capacity)  # every place at once
    monkeypatch.setattr(Pool, "CHUNK", chunk)
    bit = _population(sc)
    for stop in (301, 305, 360, 420, bit.capacity):  # as referrals and cohorts take them
        bit.take(stop)
        assert bit.drawn >= stop
    assert bit.capacity == whole.capacity == 300 + 60 + 180
    for name in RECORD.names:
        np.testing.assert_array_equal(bit.records[name], whole.records[name], err_msg=name)
    # the pool's places are prospects who enter later, identified after the cohorts' entrants
    pool = slice(300, None)
    assert (whole.identity[pool] == np.arange(300, whole.capacity) + 60).all()
    assert (whole.stage[pool] == 0).all() and (whole.entered[pool] == -1).all() and not whole.existing[pool].any()


def test_untaken_pool_places_are_not_drawn():
    sc = small(population={"customers": 5_000, "referral_pool": 2.0})
    c = _population(sc)
    assert c.drawn == 5_000 and c.capacity == 15_000
    assert (c.identity[5_000:] == 0).all()  # untouched: zero pages, no memory


def test_a_replication_travels_to_a_fresh_process_without_the_engine_inside():
    # Parallel runs pickle each replication back to the parent; one that still held its pool (and through it the
    # market and the kernel's parameter types, made at run time) could not be unpickled where none was made.
    rep = simulate(small(horizon_months=6, population={"customers": 500}))
    assert rep.customers.pool is None
    code = "import pickle, sys; c = pickle.loads(sys.stdin.buffer.read()); print(c.customers.n)"
    done = subprocess.run([sys.executable, "-c", code], input=pickle.dumps(rep), capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()[-500:]
    assert int(done.stdout) == rep.customers.n


@pytest.mark.parametrize("name", sorted(configurations()))
def test_a_replication_s_customers_go_when_its_results_go(name):
    # Episodes under way at the horizon must not keep the market alive until the cycle collector runs:
    # a process running many replications would hold every one of them.
    sc = configurations()[name].with_overrides(horizon_months=12)
    collecting = gc.isenabled()
    gc.disable()
    try:
        rep = simulate(sc)
        records = rep.customers.records
        block = weakref.ref(records if records.base is None else records.base)
        del rep, records
        assert block() is None
    finally:
        if collecting:
            gc.enable()
