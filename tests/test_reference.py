"""The pinned KPI tables of the reference configurations (see tests/reference.py) are reproduced exactly."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.reference import PINS, kpi_table


def test_reference_kpis_unchanged():
    pinned = pd.read_csv(PINS)
    now = kpi_table()
    assert list(now.columns) == list(pinned.columns)
    assert now["configuration"].tolist() == pinned["configuration"].tolist()
    for col in pinned.columns:
        if col == "configuration":
            continue
        np.testing.assert_allclose(
            now[col].to_numpy(dtype=float), pinned[col].to_numpy(dtype=float), rtol=1e-12, atol=1e-9, err_msg=col
        )
