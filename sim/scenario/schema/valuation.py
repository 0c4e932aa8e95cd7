"""How customers are valued: what a customer still in a relationship at the horizon is worth after it ([valuation])."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sim.scenario.schema.types import _Model


class Valuation(_Model):
    """A customer's lifetime value is its discounted margin to the horizon plus its residual value after it."""

    residual: Literal["run_off", "state", "none"] = Field(
        "run_off",
        description="run_off: customers in a relationship at the horizon go on under the same strategy, with nobody "
        "new entering, and what they earn after the horizon is their residual value; state: the value of each "
        "customer's state (segment, stage, rung) at the horizon, in a Markov chain estimated from the run's own "
        "moves and margins (faster, an approximation; in bgnbd and bgbb mode the exact closed form from each "
        "customer's traits); none: value stops at the horizon",
    )
    tolerance: float = Field(
        0.01,
        gt=0.0,
        lt=1.0,
        description="the run-off stops once the customers still in a relationship, discounted to the horizon, are "
        "fewer than this share of those at the horizon (what they would still earn is about that share of the "
        "residual: 1.5% at 0.01 on the baseline)",
    )
    max_years: int = Field(
        50, ge=1, le=200, description="the run-off lasts at most this many years after the horizon (a zero rate ends)"
    )
