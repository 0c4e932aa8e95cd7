"""The schema's building blocks: bounded number types, the strict frozen base model, and the Beta distribution."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

from sim.stages import N_RUNGS

Prob = Annotated[float, Field(ge=0.0, le=1.0)]


Unit = Annotated[float, Field(ge=0.0, le=1.0)]
# Money, effects and rates are capped at 1e9 so that revenue, costs and tables stay finite.


NonNeg = Annotated[float, Field(ge=0.0, le=1e9)]


NonNegFinite = Annotated[float, Field(ge=0.0, le=100.0)]


Pos = Annotated[float, Field(gt=0.0, le=1e9)]
#: Logit-scale coefficients: beyond +-50 a logistic is 0 or 1 in double precision, so more only risks overflow.


LOGIT = 50.0


Money = Annotated[float, Field(ge=-1e9, le=1e9)]  # per customer and month: money beyond this is a typo, not a market


RungTable = Annotated[list[Money], Field(min_length=N_RUNGS, max_length=N_RUNGS)]


StageTable = Annotated[list[NonNegFinite], Field(min_length=3, max_length=3)]


RungProbs = Annotated[list[Prob], Field(min_length=N_RUNGS, max_length=N_RUNGS)]


#: The parameters that move profit most over half to one and a half times their default (bench/screen.py, README:
#: Parameters to set first); the scenario template marks them.  Their defaults are judgement calls unless cited.


@lru_cache(maxsize=64)
def _stage_table(values: tuple[float, ...], neutral: float) -> np.ndarray:
    table = np.array([neutral, *values, neutral])
    table.flags.writeable = False
    return table


def _merged(default: dict[str, Any], given: dict[str, Any]) -> dict[str, Any]:
    """`given` laid over `default`, table by table."""
    out = dict(default)
    for key, value in given.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


class _Model(BaseModel):
    # strict: no "24" for 24 and no true for 1; allow_inf_nan: NaN and infinities are refused, not propagated.
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, strict=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _over_defaults(cls, data: Any) -> Any:
        """A partly given table keeps the rest of *its own* default (e.g. [postures.collaborative] price_index = 1.1
        keeps the collaborative preset), not the generic defaults of its type."""
        if not isinstance(data, dict):
            return data
        out = dict(data)
        for name, field in cls.model_fields.items():
            given = out.get(name)
            if isinstance(given, dict) and not field.is_required():
                default = field.get_default(call_default_factory=True)
                if isinstance(default, BaseModel):
                    out[name] = _merged(default.model_dump(), given)
        return out


def _check_range(where: str, values: list[Any], design: str) -> None:
    """A [low, high] range of numbers, low below high: what a Latin hypercube or a sensitivity design samples."""
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    if len(values) != 2 or not numbers:
        raise ValueError(f"{where} = {values!r}: {design} samples a range; give [low, high], two numbers")
    if not values[0] < values[1]:
        raise ValueError(f"{where} = {values!r}: low must be below high; give [{values[1]!r}, {values[0]!r}]")


class BetaDist(_Model):
    """A Beta distribution on [0, 1] given by its mean and concentration (a + b)."""

    # Bounded so that the quantile function never gives NaN (a + b of 1e308 or 5e-324 does).
    mean: float = Field(0.5, ge=0.001, le=0.999, description="mean of the Beta distribution, 0.001 to 0.999")
    concentration: float = Field(
        8.0,
        ge=0.01,
        le=1e6,
        description="a + b of the Beta distribution, 0.01 to 1e6; larger means less spread across customers",
    )

    @property
    def a(self) -> float:
        return self.mean * self.concentration

    @property
    def b(self) -> float:
        return (1.0 - self.mean) * self.concentration


RungSpend = Annotated[list[NonNeg], Field(min_length=N_RUNGS, max_length=N_RUNGS)]
