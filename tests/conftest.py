"""Shared fixtures: small scenarios that run in a fraction of a second."""

from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("Agg")

from sim.scenario import Scenario, build_scenario  # noqa: E402


def small(**changes) -> Scenario:
    """The baseline with fewer customers, months and replications, plus `changes` (nested dicts allowed)."""
    data = Scenario().model_dump()
    data.update({"horizon_months": 24, "replications": 3})
    data["population"] = {"customers": 300, "referral_pool": 0.5}
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(data.get(key), dict):
            data[key] = {**data[key], **value}
        else:
            data[key] = value
    return build_scenario(data)


@pytest.fixture
def small_scenario() -> Scenario:
    return small()
