"""The whole scenario: every table together, the rules across them, and validation into a frozen Scenario."""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import (
    BaseModel,
    Field,
    ValidationError,
    model_validator,
)

from sim.scenario.errors import ScenarioError
from sim.scenario.paths import set_path
from sim.scenario.schema.behaviour import (
    Commitment,
    Competition,
    Dissolution,
    Ladder,
    Markov,
    Purchasing,
    Satisfaction,
    Service,
    Stages,
    Trust,
)
from sim.scenario.schema.market import Demand, Events, Firm, Population, Segment
from sim.scenario.schema.strategy import (
    AccountGrowth,
    Investments,
    Migration,
    Offering,
    Offerings,
    PortfolioPolicy,
    Posture,
    Postures,
    Prospecting,
    Strategy,
    YieldManagement,
    with_plans,
)
from sim.scenario.schema.studies import Compare, SensitivitySetup, Sweep
from sim.scenario.schema.types import _check_range, _Model
from sim.scenario.schema.valuation import Valuation
from sim.stages import INVESTMENT_KINDS

SET_FIRST = frozenset(
    {
        "ladder.thresholds",
        "firm.gross_margin",
        "trust.initial",
        "stages.purchase_factor",
        "postures.transactional.price_index",
        "segments[*].wallet_median",
        "stages.basket_factor",
        "ladder.trust_weight",
        "ladder.up_rate",
        "segments[*].wallet_sigma",
        "segments[*].product_need_fit",
        "purchasing.share_of_wallet",
        "satisfaction.success_value",
        "purchasing.purchase_probability",
        "postures.transactional.cost_to_serve",
        "ladder.down_rate",
        "firm.self_orientation",
        "ladder.satisfaction_weight",
        "account_growth.foot_in_the_door.size_effect",
        "segments[*].acquisition_cost",
        "satisfaction.fit_weight",
    }
)


#: The scenario's sections by concern, each section in one: the behavioural mechanisms' parameters (the
#: compiled kernel reads them; the measured modes ignore them), the strategy in play and its parameters
#: (agent model only), the market every mode reads, the money spent on the ladder, the measured transitions,
#: and the study designs.  A new section is added to its concern here (tests/sim/test_scenario.py checks
#: that every section has one).
SECTIONS: dict[str, tuple[str, ...]] = {
    "behaviour": (
        "purchasing",
        "service",
        "satisfaction",
        "commitment",
        "ladder",
        "stages",
        "competition",
        "dissolution",
        "trust",
        "events",
        "prospecting",
        "demand",
        "yield_management",
    ),
    "strategy": ("strategy", "postures", "account_growth", "offerings", "portfolio_policy", "investments"),
    "market": ("population", "firm", "segments"),
    "spend": ("migration",),
    "measured": ("markov",),
    "studies": ("compare", "sweep", "sensitivity"),
    "valuation": ("valuation",),
}


class Scenario(_Model):
    """One simulated market: population, firm, strategy and behaviour."""

    name: str = Field("baseline", min_length=1, description="scenario label used in result tables")
    description: str = Field("", description="free text shown in reports")
    behaviour: Literal["agent", "markov", "bgnbd", "bgbb"] = Field(
        "agent",
        description='"agent" for the behavioural model, "markov" for measured rung transitions, '
        '"bgnbd" for a fitted buy-till-you-die population (crmsim calibrate), "bgbb" for one fitted to a '
        "discrete-time customer file (crmsim calibrate --model bgbb)",
    )
    horizon_months: int = Field(60, ge=1, le=1200, description="months simulated")
    replications: int = Field(10, ge=1, le=100_000, description="independent replications")
    seed: int = Field(20261123, ge=0, le=2**63 - 1, description="root seed; replication r uses the r-th spawned child")
    annual_discount_rate: float = Field(
        0.10, ge=0.0, le=1.0, description="yearly discount rate; the monthly rate is (1 + this)**(1/12) - 1"
    )
    record: Literal["customers", "aggregates"] = Field(
        "customers", description='"customers" keeps the customer-period table; "aggregates" only totals (huge runs)'
    )
    population: Population = Field(Population(), description="market size")
    firm: Firm = Field(Firm(), description="supplier abilities")
    strategy: Strategy = Field(Strategy(), description="strategy in play")
    segments: list[Segment] = Field(default_factory=lambda: [Segment()], min_length=1, description="customer segments")
    postures: Postures = Field(Postures(), description="posture parameters")
    account_growth: AccountGrowth = Field(AccountGrowth(), description="account-growth parameters")
    purchasing: Purchasing = Field(Purchasing(), description="buying behaviour by rung")
    trust: Trust = Field(Trust(), description="trust building blocks")
    satisfaction: Satisfaction = Field(Satisfaction(), description="satisfaction asymmetries")
    commitment: Commitment = Field(Commitment(), description="affective and calculative commitment")
    service: Service = Field(Service(), description="service encounters")
    competition: Competition = Field(Competition(), description="competitor offers")
    ladder: Ladder = Field(Ladder(), description="loyalty-ladder moves")
    stages: Stages = Field(Stages(), description="relationship stage moves")
    dissolution: Dissolution = Field(Dissolution(), description="dissolution hazard")
    migration: Migration = Field(Migration(), description="direct rung moves bought per rung (Markov mode, optimizer)")
    investments: Investments = Field(Investments(), description="relationship investments by type (agent model)")
    offerings: Offerings = Field(Offerings(), description="flared-out and customized offerings")
    events: Events = Field(Events(), description="events that create needs (event-oriented prospecting acts on them)")
    prospecting: Prospecting = Field(Prospecting(), description="the CIF's event detection (event-oriented)")
    demand: Demand = Field(Demand(), description="seasonal demand")
    yield_management: YieldManagement = Field(YieldManagement(), description="yield-management pricing")
    portfolio_policy: PortfolioPolicy = Field(PortfolioPolicy(), description="customer classification and actions")
    compare: Compare = Field(Compare(), description="variants for crmsim compare")
    sweep: Sweep = Field(Sweep(), description="parameters for crmsim sweep")
    sensitivity: SensitivitySetup = Field(SensitivitySetup(), description="uncertain parameters for crmsim sensitivity")
    markov: Markov = Field(Markov(), description='measured transitions, used when behaviour = "markov"')
    valuation: Valuation = Field(Valuation(), description="what a customer is worth after the horizon")

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        total = sum(s.share for s in self.segments)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"segments: shares sum to {total:.6g}; they must sum to 1")
        names = [s.name for s in self.segments]
        if len(set(names)) != len(names):
            raise ValueError(f"segments: names must be unique, got {names}")
        for kind in INVESTMENT_KINDS:
            extra = set(getattr(self.investments, kind).segment_spend) - set(names)
            if extra:
                raise ValueError(
                    f"investments.{kind}.segment_spend: unknown segments {sorted(extra)}; segments are {names}"
                )
        unknown = set(self.migration.segment_spend) - set(names)
        if unknown:
            raise ValueError(f"migration.segment_spend: unknown segments {sorted(unknown)}; segments are {names}")
        if self.compare.variants or self.sweep.parameters or self.sensitivity.parameters:
            self._check_what_ifs()
        named = {self.compare.rival, *self.compare.knockouts.values()} - {""}
        if named - set(self.compare.variants):
            raise ValueError(
                f"compare.rival / compare.knockouts: {sorted(named - set(self.compare.variants))} are not variants"
            )
        if self.compare.knockouts and not self.compare.rival:
            raise ValueError("compare.knockouts: also set compare.rival, the variant whose gap they decompose")
        unknown = set(self.sweep.variants) - set(self.compare.variants)
        if unknown:
            raise ValueError(
                f"sweep.variants: {sorted(unknown)} are not [compare] variants {sorted(self.compare.variants)}"
            )
        if self.compare.baseline and self.compare.baseline not in self.compare.variants:
            raise ValueError(
                f"compare.baseline: {self.compare.baseline!r} is not one of the variants "
                f"{sorted(self.compare.variants)}"
            )
        fitted = {"bgnbd": "buy_till_you_die", "bgbb": "discrete_time"}.get(self.behaviour)
        if fitted:
            lacking = [s.name for s in self.segments if getattr(s, fitted) is None]
            if lacking:
                raise ValueError(
                    f'behaviour = "{self.behaviour}" needs segments[*].{fitted} for segments {lacking} '
                    "(crmsim calibrate writes them)"
                )
        pop = self.population
        if len(pop.cohorts) > self.horizon_months:
            raise ValueError(
                f"population.cohorts: {len(pop.cohorts)} months of cohorts but horizon_months is "
                f"{self.horizon_months}; shorten the list or lengthen the horizon"
            )
        if pop.customers + sum(pop.cohorts) == 0:
            raise ValueError("population: no customers; set population.customers or population.cohorts")
        if pop.customers + sum(pop.cohorts) > 10_000_000:
            raise ValueError("population: customers and cohorts together exceed 10,000,000; run a sample")
        if self.behaviour == "markov" and not self.markov.transitions:
            raise ValueError('behaviour = "markov" needs markov.transitions (8 rows of 8 or 9 probabilities)')
        return self

    def _check_what_ifs(self) -> None:
        """Each [compare] variant and [sweep] value names a field and has a valid value (checked before any run)."""
        data = {**self.model_dump(), "compare": {}, "sweep": {}}  # the what-ifs of a what-if are not checked again
        checks = [(f"compare.variants.{name}", changes) for name, changes in self.compare.variants.items()]
        for path, values in self.sweep.parameters.items():
            if not values:
                raise ValueError(f"sweep.parameters.{path}: no values; give a list (grid) or [low, high] (lhs)")
            if self.sweep.method == "lhs":
                _check_range(f"sweep.parameters.{path}", values, "a Latin hypercube")
            shown = values if self.sweep.method == "grid" else values[:2]
            checks += [(f"sweep.parameters.{path} = {v!r}", {path: v}) for v in shown]
        for path, values in self.sensitivity.parameters.items():
            _check_range(f"sensitivity.parameters.{path}", values, "a sensitivity analysis")
        for where, changes in checks:
            try:
                changed = copy.deepcopy(data)
                for path, value in changes.items():
                    set_path(changed, path.split("."), value, path)
                Scenario.model_validate(with_plans(changed))
            except ScenarioError as exc:
                raise ValueError(f"{where}: {exc}") from None
            except ValidationError as exc:
                first = exc.errors()[0]
                loc = ".".join(str(p) for p in first["loc"])
                raise ValueError(f"{where}: {loc}: {first['msg']}") from None

    @property
    def monthly_discount_rate(self) -> float:
        """Monthly rate equivalent to the annual discount rate."""
        return (1.0 + self.annual_discount_rate) ** (1.0 / 12.0) - 1.0

    @property
    def posture(self) -> Posture:
        """Parameters of the posture in play."""
        return getattr(self.postures, self.strategy.posture)

    @property
    def offering(self) -> Offering:
        """Parameters of the offering in play (standard: no change)."""
        return Offering() if self.strategy.offering == "standard" else getattr(self.offerings, self.strategy.offering)

    def with_overrides(self, **changes: Any) -> Scenario:
        """Copy with top-level fields changed, validated again."""
        return build_scenario({**self.model_dump(), **changes})


def _format_error(err: dict[str, Any], source: str) -> str:
    loc = ".".join(str(p) if not isinstance(p, int) else f"[{p}]" for p in err["loc"]).replace(".[", "[")
    where = f"{source}: " if source else ""
    field = loc or "(scenario)"
    if err["type"] == "extra_forbidden":
        parent = _model_at(err["loc"][:-1])
        allowed = ", ".join(parent.model_fields) if parent else "see scenarios/baseline.toml"
        return f"{where}{field}: unknown key; allowed keys here are: {allowed}"
    msg = err["msg"].removeprefix("Value error, ")
    value = err.get("input")
    shown = "" if isinstance(value, dict) or err["type"] == "missing" else f" = {value!r}"
    return f"{where}{field}{shown}: {msg}"


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class found by walking a validation error location from Scenario."""
    model: Any = Scenario
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            return None
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        model = ann if isinstance(ann, type) else (args[0] if args else None)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def build_scenario(data: dict[str, Any], source: str = "") -> Scenario:
    """Validate a mapping (as read from TOML) into a Scenario, or raise ScenarioError."""
    try:
        return Scenario.model_validate(with_plans(data, source))
    except ValidationError as exc:
        lines = [_format_error(e, source) for e in exc.errors()]
        raise ScenarioError("invalid scenario:\n  " + "\n  ".join(lines)) from None
