"""What the modes, mechanisms and strategies may read and do on the market: :class:`MarketView`.

:class:`sim.engine.market.Market` is the one implementation; everything below
it in the engine is typed against this protocol, so the market's other
attributes (its month clock, its cohorts' bookkeeping) stay its own, and a
test can hand a mechanism any object with these attributes.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol, runtime_checkable

import numpy as np

from sim.engine.records import Recorder
from sim.engine.state import Customers
from sim.engine.streams import MonthDraws
from sim.scenario import Scenario
from sim.stages import Cause


@runtime_checkable
class MarketView(Protocol):
    """One replication's market, as the engine's parts below it see it."""

    scenario: Scenario
    customers: Customers
    recorder: Recorder
    draws: MonthDraws  # the month's uniforms by purpose
    month: int  # the month being stepped
    entering: slice  # this month's cohort entrants' places
    entrants: Customers  # the cohorts' customers, by entry
    designed: int  # identities 0..designed-1 spend their own rows of the spend tables (a designed experiment)
    migration_spend: np.ndarray  # direct migration spend per customer-month: (segment | customer) x rung
    migrating: bool
    investment_spend: dict[str, np.ndarray]  # kind -> (segment | customer) x rung, the kinds in use only
    closed_by_pass: bool  # the compiled pass closes the month before (no panel)
    open_to_entry: bool  # newcomers may enter (False in the run-off after the horizon)

    @property
    def params(self) -> NamedTuple:
        """The scenario as compiled code reads it (sim.engine.kernel.params)."""

    def spend_rows(self, idx: np.ndarray, seg: np.ndarray) -> np.ndarray:
        """Row of the spend tables for customers `idx` of segments `seg`."""

    def closing(self, t: int) -> tuple[float, float, np.ndarray]:
        """The gross margin on revenue, the discount weight and the totals row that closing month t takes."""

    def dissolve(self, idx: np.ndarray | int, cause: Cause, t: int | None = None) -> None:
        """End the relationships of customers `idx` (an index array, mask or int)."""

    def admit_referral(self, referrer: int) -> None:
        """A referred prospect from the pool enters the market next month."""
