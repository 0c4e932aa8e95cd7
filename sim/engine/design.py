"""Designed spend experiments: every customer draws its own investment spend, so one run measures many levels.

The migration optimizer (:mod:`sim.workflows.migration`) estimates how value
responds to monthly spend per rung and investment type.  Instead of one run per
spend level, each customer who comes by itself (at month 0 or in a cohort)
draws, for every (rung, type) cell, one spend level from the design; all customers meet the
same random numbers as in the run without spend (common random numbers), so
customer i's value difference between the two runs is its response to its
own levels.  Referred newcomers get the design's centre (the plan around which
it explores).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.engine.streams import Purpose, stream
from sim.stages import INVESTMENT_KINDS

LEVERS = (*INVESTMENT_KINDS, "direct")  # what a design and a plan allocate over; direct = ``[migration]`` rung moves


@dataclass(frozen=True)
class SpendDesign:
    """Spend levels per (segment, rung, type) and the chance each customer draws each level."""

    levels: np.ndarray  # (segments, rungs, levers, L) monthly spend per customer
    chances: np.ndarray  # same shape; sums to 1 over the last axis
    centre: np.ndarray  # (segments, rungs, levers): the spend of customers outside the design (newcomers)
    key: int = 0  # tells designs apart that run on the same seeds

    def assign(self, segment: np.ndarray, seed: int, replication: int) -> np.ndarray:
        """Level index of each customer for each (rung, lever): shape (customers, rungs, levers)."""
        rng = stream(seed, replication, Purpose.DESIGN, name=f"design.{self.key}")
        u = rng.random((len(segment), *self.levels.shape[1:3]))
        cum = np.cumsum(self.chances, axis=-1)[segment]  # (customers, rungs, kinds, L)
        return np.minimum((u[..., None] >= cum).sum(axis=-1), self.levels.shape[-1] - 1).astype(np.int8)

    def spend(self, segment: np.ndarray, index: np.ndarray) -> np.ndarray:
        """Monthly spend of each customer on each (rung, lever) for its level indices."""
        return np.take_along_axis(self.levels[segment], index[..., None].astype(np.intp), axis=-1)[..., 0]
