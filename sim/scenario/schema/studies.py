"""Study designs a scenario carries: [compare] variants, [sweep] parameters and [sensitivity] ranges."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    Field,
)

from sim.scenario.schema.types import _Model


class Compare(_Model):
    """Named variants of the scenario compared on the same customers and draws (`crmsim compare`)."""

    baseline: str = Field("", description="variant the others are compared with (default: the first)")
    variants: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description='name -> {"dotted.path" = value, ...}, e.g. "strategy.account_growth" = "all_at_once"',
    )
    rival: str = Field(
        "", description="variant whose gap to the baseline the knock-outs below decompose (empty: no decomposition)"
    )
    knockouts: dict[str, str] = Field(
        default_factory=dict,
        description="mechanism -> variant that is the baseline without it; compare reports each one's share of the gap",
    )


class Sweep(_Model):
    """Parameters varied for what-if questions (`crmsim sweep`)."""

    method: Literal["grid", "lhs"] = Field("grid", description="grid: every combination; lhs: Latin hypercube sample")
    samples: int = Field(20, ge=1, le=100_000, description="points of a Latin hypercube sample")
    parameters: dict[str, list[Any]] = Field(
        default_factory=dict, description='"dotted.path" -> values (grid) or [low, high] (lhs)'
    )
    variants: list[str] = Field(
        default_factory=list,
        description="names of [compare] variants to run at every point (empty: all of them); the first is the baseline",
    )


class SensitivitySetup(_Model):
    """Uncertain parameters for a global sensitivity analysis (`crmsim sensitivity`)."""

    method: Literal["morris", "sobol"] = Field(
        "morris", description="morris: elementary effects (screening); sobol: variance shares (Saltelli's scheme)"
    )
    samples: int = Field(20, ge=2, le=100_000, description="Morris trajectories, or Sobol base samples (a power of 2)")
    kpi: str = Field("profit", description="the KPI whose variation is decomposed")
    parameters: dict[str, list[Any]] = Field(default_factory=dict, description='"dotted.path" -> [low, high]')
