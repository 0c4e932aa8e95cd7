"""Shared fixtures: small scenarios that run in a fraction of a second."""

from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("Agg")

from sim.scenario import Scenario, build_scenario  # noqa: E402


def small(**changes) -> Scenario:
    """The baseline with fewer customers, months and replications, plus `changes` (nested dicts allowed)."""
    data = Scenario().model_dump()
    # Value stops at the horizon here unless a test says otherwise: a run-off after 24 months would run some
    # 30 years more (the suite took 18 minutes instead of 9). Tests of lifetime value set [valuation] themselves.
    data.update({"horizon_months": 24, "replications": 3, "valuation": {"residual": "none"}})
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


@pytest.fixture
def interrupt(monkeypatch):
    """`interrupt(module, n)`: run n + 1 of the study raises KeyboardInterrupt (Ctrl-C); returns the undo."""
    import importlib

    def after(name: str, n: int):
        module = importlib.import_module(name)  # the module, not the function a package exports under its name
        real, calls = module.kpis, {"n": 0}

        def dies(*job):
            calls["n"] += 1
            if calls["n"] > n:
                raise KeyboardInterrupt
            return real(*job)

        monkeypatch.setattr(module, "kpis", dies)
        return lambda: monkeypatch.setattr(module, "kpis", real)

    return after
