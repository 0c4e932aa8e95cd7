"""The interface every behaviour mode implements: how customers start, what a month does, how money is booked."""

from __future__ import annotations

from typing import Any

import numpy as np
import simpy

from sim.scenario import Scenario


class Mode:
    """A behaviour mode (``behaviour = "<name>"``): chosen once from the scenario; no other code tests its name."""

    name = ""
    #: Revenue is multiplied by the firm's gross margin (False: the mode books margin directly).
    books_revenue = True

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario

    def initial_stages(self, stage: np.ndarray, rung: np.ndarray) -> np.ndarray:
        """Stages customers start in, given those drawn from the segments and their rungs."""
        return stage

    def prepare(self, market: Any, traits: np.random.Generator) -> None:
        """Draw what the mode needs per customer before month 0 (`traits`: its own stream)."""

    def step(self, market: Any, env: simpy.Environment, t: int) -> None:
        """Advance every customer in the market by month `t`."""
        raise NotImplementedError
