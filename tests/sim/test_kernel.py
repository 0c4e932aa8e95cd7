"""The compiled month gives the numpy month's tables: every field of every customer, every record, every month.

The numpy month (tests/oracle.py) is the engine as it was before the kernel;
it shares the kernel's formulas, which the hand-worked cases of test_mechanisms.py check on the kernel.  On
every reference configuration, and on configurations that switch on what the
reference ones leave off (investments, designed spend, cohorts, each policy
action), the kernel must agree with it to 1e-12: the two differ only where
numpy's vectorised exp and pow round the last bit differently from the C
library's.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.engine.design import SpendDesign
from sim.engine.modes.agent import Agent
from sim.engine.simulate import simulate
from sim.stages import INVESTMENT_KINDS
from tests.conftest import small
from tests.oracle import numpy_month
from tests.reference import configurations

RTOL = 1e-12
SPEND = [0.0, 5.0, 10.0, 10.0, 5.0, 0.0, 0.0, 3.0]


def extra_configurations() -> dict:
    """What the reference configurations leave off: investments, cohorts, each policy action, offerings."""
    invest = {kind: {"spend": SPEND} for kind in INVESTMENT_KINDS}
    return {
        "investments": small(investments=invest, migration={"spend": SPEND}),
        "cohorts_served": small(
            population={"customers": 100, "cohorts": [50, 0, 80], "referral_pool": 0.5},
            segments=[{"served": 0.7}],
        ),
        "loyalty_effort_actions": small(
            portfolio_policy={
                "scheme": "loyalty_effort",
                "review_months": 3,
                "min_tenure_months": 1,
                "actions": {"switchers": "reprice", "undesirable": "streamline", "partners": "invest"},
            },
            strategy={"offering": "unbundled", "account_growth": "all_at_once"},
        ),
        # The CIF strategies, with a season and a capacity that binds in the peak and idles in the trough.
        "smart_strategies": small(
            strategy={"prospecting": "event_oriented", "pricing": "yield_management", "offering": "customized"},
            demand={"seasonality": 0.4, "peak_month": 2},
            firm={"capacity": 1.1},
            segments=[{"event_rate": 0.2}],
            horizon_months=14,
        ),
        "season_at_list_prices": small(demand={"seasonality": 0.4}, firm={"capacity": 0.9}),
    }


def agent_configurations() -> dict:
    """Every configuration whose month the kernel runs (the agent mode's)."""
    out = {name: sc for name, sc in configurations().items() if sc.behaviour == "agent"}
    return {**out, **extra_configurations()}


def assert_same(a, b) -> None:
    """Two replications agree: each customer field and each record, floats to RTOL."""
    ca, cb = a.customers, b.customers
    assert ca.n == cb.n
    for name in ca.records.dtype.names:
        x, y = ca.records[name][: ca.n], cb.records[name][: cb.n]
        if x.dtype.kind == "f":
            np.testing.assert_allclose(x, y, rtol=RTOL, atol=1e-9, err_msg=name)
        else:
            np.testing.assert_array_equal(x, y, err_msg=name)
    for name in ("relationships", "ladder", "invested", "stage_counts", "rung_counts", "active_rung_counts", "totals"):
        x, y = getattr(a.recorder, name), getattr(b.recorder, name)
        np.testing.assert_allclose(x, y, rtol=RTOL, atol=1e-7, err_msg=name)


@pytest.mark.parametrize("name", sorted(agent_configurations()))
def test_the_kernel_gives_the_numpy_months_tables(monkeypatch, name):
    sc = agent_configurations()[name]
    kernel = [simulate(sc, r, 11) for r in range(2)]
    monkeypatch.setattr(Agent, "step", lambda self, market, env, t: numpy_month(market, env, t))
    for r, k in enumerate(kernel):
        assert_same(k, simulate(sc, r, 11))


def test_the_kernel_gives_the_numpy_months_tables_in_a_designed_experiment(monkeypatch):
    sc = small(investments={"social": {"spend": SPEND}})
    levels = np.stack([np.zeros((1, 8, 4)), np.full((1, 8, 4), 8.0)], axis=-1)
    design = SpendDesign(levels=levels, chances=np.full(levels.shape, 0.5), centre=np.full((1, 8, 4), 2.0))
    kernel = simulate(sc, 0, 5, design)
    monkeypatch.setattr(Agent, "step", lambda self, market, env, t: numpy_month(market, env, t))
    assert_same(kernel, simulate(sc, 0, 5, design))
