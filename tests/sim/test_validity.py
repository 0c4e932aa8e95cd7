"""Model validity: an existing base starts where it stands, and every documented mechanism has consequences."""

from __future__ import annotations

import numpy as np
import pytest

from sim import build_scenario, run
from tests.conftest import small


@pytest.mark.slow
def test_an_existing_base_neither_collapses_nor_jumps():
    """Customers starting in commitment with products keep revenue within 10% of the month-12 level from month 1."""
    sc = build_scenario(
        {
            "horizon_months": 13,
            "replications": 4,
            "population": {"customers": 2000, "referral_pool": 0.0},
            "segments": [{"initial_stages": [0, 0, 0, 1.0], "initial_rungs": [0, 0, 0, 0.2, 0.3, 0.3, 0.2, 0.0]}],
        }
    )
    panel = run(sc).customers
    revenue = panel.groupby("period")["revenue"].sum().to_numpy()
    assert np.all(np.abs(revenue[1:] / revenue[12] - 1.0) < 0.10), revenue / revenue[12]
    sow = panel.groupby("period")["share_of_wallet"].mean().to_numpy()
    assert sow[0] > 0.8 * sow[12]  # no empty start
    assert panel.loc[panel.period == 0, "satisfaction"].gt(0).mean() > 0.9


def test_existing_customers_start_with_history_prospects_without():
    res = run(small(replications=1, horizon_months=1, segments=[{"initial_stages": [0.5, 0.2, 0.2, 0.1]}]))
    lt = res.lifetimes
    first = res.customers[res.customers.period == 0].set_index("customer")
    who = lt.set_index("customer")
    buyers = who.index[who.existing & (who.initial_rung > 1)]  # cynics (rung 1) aim for no share at all
    assert (first.loc[buyers, "share_of_wallet"] > 0).all() and (first.loc[buyers, "satisfaction"] != 0).all()
    assert (first.loc[who.index[~who.existing], "share_of_wallet"] == 0).all()
