"""Scenario files: validated, frozen descriptions of one simulated market.

A scenario is a TOML file.  It is validated into a frozen :class:`Scenario`
before anything runs; any wrong type, unknown key, out-of-range value or
impossible combination raises :class:`ScenarioError` with one message per
problem that names the field, the value and what is allowed.

Every field has a default, so an empty file is a valid scenario (the
baseline).  Defaults are starting points drawn from the sources cited in the
field descriptions, not measured truths: replace them with your own numbers.
"""

from __future__ import annotations

import copy
import math
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from sim.scenario.errors import ScenarioError
from sim.scenario.paths import set_path
from sim.scenario.plans import read_investment_plan, read_spend_plan
from sim.stages import INVESTMENT_KINDS, N_RUNGS, RUNGS

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


class BuyTillYouDie(_Model):
    """Fitted BG/NBD and Gamma-Gamma parameters of a segment (behaviour = "bgnbd"; crmsim calibrate writes them)."""

    r: Pos = Field(
        0.243, description="BG/NBD: shape of the purchase-rate Gamma (Fader, Hardie and Lee 2005, CDNOW: 0.243)"
    )
    alpha: Pos = Field(
        4.414, description="BG/NBD: rate of the purchase-rate Gamma, per time unit (CDNOW, weeks: 4.414)"
    )
    a: Pos = Field(0.793, description="BG/NBD: Beta a of the dropout probability after each purchase (CDNOW: 0.793)")
    b: Pos = Field(2.426, description="BG/NBD: Beta b of the dropout probability (CDNOW: 2.426)")
    p: Pos = Field(6.25, description="Gamma-Gamma: shape of a transaction's value (CDNOW: 6.25)")
    q: float = Field(
        3.74, gt=1.0, description="Gamma-Gamma: shape of the spend-rate Gamma; > 1 for a finite mean (CDNOW: 3.74)"
    )
    gamma: Pos = Field(15.44, description="Gamma-Gamma: scale of the spend-rate Gamma, in currency (CDNOW: 15.44)")
    time_unit_days: Pos = Field(7.0, description="days in the time unit alpha is measured in (7: weeks)")

    @property
    def alpha_per_month(self) -> float:
        """alpha converted to months (a purchase rate per month is 30.44 / time_unit_days times larger)."""
        return self.alpha * self.time_unit_days / (365.25 / 12.0)


class Segment(_Model):
    """A group of customers sharing the distributions their characteristics are drawn from."""

    name: str = Field("all", min_length=1, description="segment label used in result tables")
    share: float = Field(
        1.0, gt=0.0, le=1.0, description="share of the initial population in this segment; shares sum to 1"
    )
    wallet_median: float = Field(
        1000.0, gt=0.0, le=1e7, description="median monthly category spend (the customer's wallet), in currency units"
    )
    wallet_sigma: float = Field(
        0.8, ge=0.0, le=3.0, description="sigma of log wallet across customers (lognormal spread; 3 is already extreme)"
    )
    need_uncertainty: BetaDist = Field(
        BetaDist(mean=0.4), description="difficulty of knowing what is needed (CR lecture notes); favours few suppliers"
    )
    market_uncertainty: BetaDist = Field(
        BetaDist(mean=0.4), description="how fast the supply market changes (CR lecture notes); favours many suppliers"
    )
    transaction_uncertainty: BetaDist = Field(
        BetaDist(mean=0.3), description="doubt about getting what was ordered (CR lecture notes); raises failure damage"
    )
    product_need_fit: BetaDist = Field(
        BetaDist(mean=0.6), description="how closely the firm's products fit this customer's needs"
    )
    initial_rungs: RungProbs = Field(
        [0.15, 0.35, 0.35, 0.15, 0.0, 0.0, 0.0, 0.0],
        description="share of the segment starting on each rung 1..8 (cynic .. pays a premium); sums to 1",
    )
    initial_stages: Annotated[list[Prob], Field(min_length=4, max_length=4)] = Field(
        [1.0, 0.0, 0.0, 0.0],
        description="share starting in awareness (prospects), exploration, expansion, commitment; sums to 1",
    )
    acquisition_cost: NonNeg = Field(150.0, description="one-off cost paid when a prospect makes a first purchase")
    event_rate: Prob = Field(
        0.03,
        description="monthly chance a life-cycle or situational event (a move, a new project, a merger) creates a "
        "need in a customer of this segment (CIF notes: event-oriented prospecting; size a judgement call)",
    )
    served: Prob = Field(
        1.0,
        description="share of this segment's customers at month 0 the firm serves (its portfolio holding); the "
        "others are let go before month 0; `crmsim optimize portfolio` chooses it",
    )
    buy_till_you_die: BuyTillYouDie | None = Field(
        None, description='fitted BG/NBD and Gamma-Gamma parameters, used when behaviour = "bgnbd"'
    )

    @field_validator("initial_rungs", "initial_stages")
    @classmethod
    def _sums_to_one(cls, v: list[float]) -> list[float]:
        if abs(sum(v) - 1.0) > 1e-6:
            raise ValueError(f"shares must sum to 1 but sum to {sum(v):.6g}; rescale them")
        return v


class Population(_Model):
    """How many customers the market holds."""

    customers: int = Field(2000, ge=0, le=10_000_000, description="customers (prospects included) at month 0")
    cohorts: list[Annotated[int, Field(ge=0, le=10_000_000)]] = Field(
        default_factory=list,
        description="new customers acquired at the start of each month (month 0 first), who enter at their first "
        "purchase: a customer file's cohorts (crmsim calibrate writes them) or an acquisition plan",
    )
    referral_pool: float = Field(
        0.5,
        ge=0.0,
        le=10.0,
        description="room for referred newcomers, as a share of `customers` and the cohorts; "
        "referrals beyond it are counted, not added",
    )
    fixed: bool = Field(
        False, description="same customers in every replication (only the future varies): for per-customer portfolios"
    )


class Firm(_Model):
    """The selling firm's abilities (CR lecture notes: supplier abilities)."""

    gross_margin: Prob = Field(0.35, description="share of revenue kept after cost of goods")
    transfer_ability: Unit = Field(0.6, description="ability to deliver what was ordered; lowers service failures")
    problem_solving_ability: Unit = Field(
        0.5, description="ability to solve complex problems; raises all-at-once acceptance under need uncertainty"
    )
    self_orientation: float = Field(
        1.2, ge=1.0, le=10.0, description="Green's self-orientation S >= 1 (1 = fully customer-focused); divides trust"
    )
    max_products: int = Field(4, ge=1, le=50, description="products in the firm's range; scope = products held / this")
    capacity: float | None = Field(
        None,
        gt=0.0,
        le=100.0,
        description="monthly service capacity as a multiple of average demand at list prices; purchase occasions "
        "beyond it are turned away (unset: unlimited)",
    )


class Strategy(_Model):
    """The strategy the firm plays (issue 3 adds more; these choose presets below)."""

    posture: Literal["transactional", "collaborative"] = Field(
        "transactional",
        description="relationship posture: transactional or collaborative (CR lecture notes; CRM strategies ch. 4)",
    )
    account_growth: Literal["foot_in_the_door", "all_at_once", "none"] = Field(
        "foot_in_the_door", description="how accounts are grown: foot_in_the_door, all_at_once or none"
    )
    offering: Literal["standard", "unbundled", "augmented", "customized"] = Field(
        "standard",
        description="relationship-specific offering: standard, flaring out by unbundling or augmentation, or "
        "customized for each customer (mass customization, CIF notes)",
    )
    prospecting: Literal["none", "event_oriented"] = Field(
        "none",
        description="when growth offers are made: at random (none), or when the customer information file spots "
        "an event that creates a need (event_oriented; CIF notes)",
    )
    pricing: Literal["standard", "yield_management"] = Field(
        "standard",
        description="list prices (standard), or prices set by month and by the customer's price sensitivity to "
        "fill capacity at the highest return (yield_management; CIF notes)",
    )


class Posture(_Model):
    """One relationship posture on the transactional-collaborative continuum."""

    closeness: Unit = Field(
        0.1, description="place on the working-relationship continuum: 0 transactional, 1 collaborative"
    )
    interaction_rate: Prob = Field(0.10, description="monthly chance of a firm interaction (communication, bridging)")
    interaction_cost: NonNeg = Field(15.0, description="cost of one firm interaction")
    cost_to_serve: NonNeg = Field(10.0, description="fixed monthly cost to serve an active customer")
    cost_to_serve_share: Prob = Field(0.03, description="variable cost to serve as a share of revenue")
    linkage_rate: Prob = Field(
        0.0, description="monthly growth of operational linkages (raise switching costs, cut failures)"
    )
    price_index: Pos = Field(1.0, description="price relative to the market (multiplies revenue)")
    conflict_resolution: Prob = Field(0.2, description="chance a service failure is resolved by the firm (recovery)")
    recovery_cost: NonNeg = Field(25.0, description="cost of resolving one service failure")


def _collaborative() -> Posture:
    return Posture(
        closeness=0.9,
        interaction_rate=0.5,
        interaction_cost=20.0,
        cost_to_serve=35.0,
        cost_to_serve_share=0.05,
        linkage_rate=0.05,
        price_index=1.05,
        conflict_resolution=0.7,
        recovery_cost=40.0,
    )


class Postures(_Model):
    """Parameters of each posture."""

    transactional: Posture = Field(Posture(), description="arm's length: standard offer, low cost to serve")
    collaborative: Posture = Field(
        default_factory=_collaborative, description="partnering: linkages, customisation, high cost to serve"
    )


class GrowthOffer(_Model):
    """What every account-growth offer shares: acceptance as a logistic function, and damage when not valued."""

    offer_rate: Prob = Field(0.15, description="monthly chance an eligible customer starts a growth episode")
    decision_months: float = Field(0.5, gt=0.0, le=24.0, description="months the customer takes to decide (mean)")
    base_acceptance: float = Field(
        0.5, ge=-LOGIT, le=LOGIT, description="logit of acceptance at average trust, fit and size"
    )
    rung_effect: float = Field(
        0.25,
        ge=0.0,
        le=5.0,
        description="logit change per rung above rung 4 (the ladder drives acceptance of growth offers; "
        "size a judgement call)",
    )
    trust_effect: float = Field(3.0, ge=0.0, le=LOGIT, description="logit change per unit of trust above 0.5")
    fit_effect: float = Field(2.0, ge=0.0, le=LOGIT, description="logit change per unit of product-need fit above 0.5")
    poor_fit_threshold: Unit = Field(
        0.4, description="perceived product-need fit below which an accepted offer is not valued"
    )
    value_noise: Unit = Field(0.3, description="spread of perceived fit around true fit (value not recognised)")
    trust_damage: Unit = Field(0.15, description="share of credibility lost when an accepted offer is not valued")
    self_orientation_damage: NonNeg = Field(
        0.2, description="rise in perceived self-orientation after pushing a poor fit"
    )
    dissolution_on_damage: Prob = Field(
        0.10, description="chance the relationship ends after an offer that is not valued"
    )
    offer_cost: NonNeg = Field(30.0, description="selling cost of making one offer")


class Offering(_Model):
    """A relationship-specific offering beyond the industry bandwidth (CR lecture notes; CRM strategies ch. 4)."""

    price_factor: Pos = Field(1.0, description="multiplies the price")
    cost_factor: Pos = Field(1.0, description="multiplies the cost to serve")
    closeness_shift: float = Field(
        0.0, ge=-1.0, le=1.0, description="moves the offer towards collaborative (+) or transactional (-) buyers' taste"
    )
    fit_gain: Unit = Field(0.0, description="share of the gap between a customer's needs and the products it closes")


class Offerings(_Model):
    """Parameters of the flared-out offerings."""

    unbundled: Offering = Field(
        Offering(price_factor=0.95, cost_factor=0.75, closeness_shift=-0.3),
        description="standard elements removed or made options: leaner and cheaper, suits arm's length buyers",
    )
    augmented: Offering = Field(
        Offering(price_factor=1.08, cost_factor=1.3, closeness_shift=0.3),
        description="programs and systems that collaborative accounts value, added as options",
    )
    customized: Offering = Field(
        Offering(cost_factor=1.15, fit_gain=0.5),
        description="each offer tailored to the customer at a small extra cost to serve (mass customization; "
        "amounts a judgement call, see README)",
    )


class Events(_Model):
    """Life-cycle and situational events that create a need (CIF notes); their monthly rate is per segment."""

    need_months: float = Field(3.0, ge=1.0, le=120.0, description="mean months a need lasts before it fades")
    acceptance_effect: float = Field(
        1.0, ge=0.0, le=10.0, description="logit rise in growth-offer acceptance when the decision meets a need"
    )
    fit_effect: Unit = Field(0.2, description="rise in the perceived product-need fit of an offer that meets a need")


class Prospecting(_Model):
    """How well the customer information file spots events (event-oriented prospecting, CIF notes)."""

    recall: Prob = Field(
        0.6, description="share of new needs the CIF spots in the month they arise, for a customer it knows well"
    )
    precision: float = Field(
        0.5, gt=0.0, le=1.0, description="share of the CIF's flags that are real new needs (the rest are false alarms)"
    )
    learning_purchases: Pos = Field(
        6.0, le=1000.0, description="purchases after which the CIF knows a customer 63% as well as it can"
    )
    prior_knowledge: Unit = Field(
        0.2, description="share of the recall the CIF has before a customer's first repeat purchase (outside data)"
    )
    cost: NonNeg = Field(1.0, description="monthly cost of the CIF's event detection per customer in a relationship")


class Demand(_Model):
    """Demand over the year, whatever the strategy: purchase chances swing with the season."""

    seasonality: float = Field(
        0.0, ge=0.0, lt=1.0, description="amplitude: purchase chances swing between 1 - this and 1 + this times theirs"
    )
    peak_month: int = Field(11, ge=0, le=11, description="month of the year demand peaks (0: the first simulated)")


class YieldManagement(_Model):
    """Prices by month and by price sensitivity (CIF notes), and what they cost in the relationship."""

    reference_sensitivity: float = Field(
        0.5,
        gt=0.0,
        le=1.0,
        description="price sensitivity for which the list price earns the most: a customer of sensitivity s has "
        "price elasticity s / this at the list price",
    )
    price_floor: float = Field(0.85, gt=0.0, le=1.0, description="lowest price, as a share of the list price")
    price_cap: float = Field(1.25, ge=1.0, le=10.0, description="highest price, as a share of the list price")
    unfair_trust: Unit = Field(0.1, description="share of credibility lost per unit of surcharge paid above list")
    unfair_sensitivity: NonNeg = Field(
        0.2, le=10.0, description="rise in the customer's price sensitivity per unit of surcharge paid above list"
    )
    sensitivity_memory: Prob = Field(0.9, description="share of that rise still felt a month later")
    closeness_effect: NonNeg = Field(
        1.0,
        le=10.0,
        description="unfairness hurts 1 + this x closeness times as much; closeness: the mean of the posture's "
        "closeness and the customer's affective commitment",
    )


Action = Literal["invest", "maintain", "streamline", "reprice", "fire"]

# Default action per class of each scheme (CR lecture notes; RM notes; PRM notes).
DEFAULT_ACTIONS: dict[str, dict[str, str]] = {
    "loyalty_effort": {
        "switchers": "streamline",
        "most_valuable": "maintain",
        "undesirable": "reprice",
        "partners": "invest",
    },
    "profitability_loyalty": {
        "strangers": "streamline",
        "butterflies": "maintain",
        "true_friends": "invest",
        "barnacles": "reprice",
    },
    "value": {
        "most_valuable": "maintain",
        "most_growable": "invest",
        "low_maintenance": "streamline",
        "below_zero": "fire",
    },
}


class PortfolioPolicy(_Model):
    """Classify customers at each review and act per class (invest, maintain, streamline, reprice, fire)."""

    scheme: Literal["none", "loyalty_effort", "profitability_loyalty", "value"] = Field(
        "none",
        description="none; loyalty_effort (switchers, most_valuable, undesirable, partners; CR lecture notes); "
        "profitability_loyalty (strangers, butterflies, true_friends, barnacles; PRM notes); "
        "value (most_valuable, most_growable, low_maintenance, below_zero; RM notes)",
    )
    review_months: int = Field(12, ge=1, le=1200, description="months between reviews; the first is at this month")
    min_tenure_months: int = Field(
        12,
        le=1200,
        ge=0,
        description="months since acquisition before a customer is classified (new accounts need time to grow)",
    )
    loyal_rung: int = Field(5, ge=1, le=8, description="rung at or above which a customer counts as loyal")
    high_effort: Pos = Field(1.5, description="cost to serve above this multiple of the median counts as high effort")
    actions: dict[str, Action] = Field(
        default_factory=dict, description="class -> action, overriding the scheme's defaults (see README)"
    )
    invest_interactions: Prob = Field(0.3, description="extra monthly interaction chance for customers invested in")
    invest_cost: NonNeg = Field(20.0, description="monthly cost of investing in a customer")
    streamline_saving: Prob = Field(0.4, description="share of the cost to serve removed by streamlining (automation)")
    streamline_interactions: Prob = Field(0.5, description="share of interactions dropped for streamlined customers")
    price_rise: Unit = Field(0.10, description="price rise for repriced customers (raises their pull to competitors)")

    @model_validator(mode="after")
    def _known_classes(self) -> PortfolioPolicy:
        if self.scheme != "none":
            unknown = set(self.actions) - set(DEFAULT_ACTIONS[self.scheme])
            if unknown:
                raise ValueError(
                    f"actions: unknown classes {sorted(unknown)} for scheme {self.scheme}; "
                    f"classes are {sorted(DEFAULT_ACTIONS[self.scheme])}"
                )
        return self

    def action_of(self) -> dict[str, str]:
        """Action per class: the scheme's defaults with the file's overrides."""
        return {**DEFAULT_ACTIONS.get(self.scheme, {}), **self.actions}


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


class FootInTheDoor(GrowthOffer):
    """Foot-in-the-door account growth: a small first offer, then larger ones (CR lecture notes)."""

    initial_size: int = Field(1, ge=1, le=1000, description="products in the first (small) offer")
    growth_factor: float = Field(
        1.5, ge=1.0, le=100.0, description="each step offers this many times the previous size"
    )
    interval_months: float = Field(2.0, ge=0.25, le=24.0, description="months between a decision and the next offer")
    max_steps: int = Field(3, ge=1, le=8, description="offers in one sequence at most")
    size_effect: float = Field(
        2.0,
        le=LOGIT,
        ge=0.0,
        description="logit loss per unit of offer size relative to what the customer does not hold yet "
        "(the size asked, before it is capped, so growth_factor acts for any product range)",
    )
    need_effect: float = Field(
        -0.5,
        ge=-LOGIT,
        le=LOGIT,
        description="logit change per unit of need uncertainty above 0.5; negative: complex needs call for a "
        "comprehensive offer, not small steps (inferred from the CR lecture notes; a judgement call)",
    )
    consistency_effect: float = Field(
        0.5,
        le=LOGIT,
        ge=0.0,
        description="logit uplift per accepted earlier step (Freedman & Fraser 1966: 52.8% vs 22.2%; "
        "meta-analytic r = .11-.17, Dillard et al. 1984)",
    )
    consistency_persistence_months: Pos = Field(6.0, description="months over which the consistency uplift decays")
    immediacy_penalty: NonNeg = Field(
        1.0, description="logit loss when asked again too soon (Chartrand et al. 1999), fading with the interval"
    )
    immediacy_window_months: Pos = Field(0.5, description="months over which the immediacy penalty fades")


class AllAtOnce(GrowthOffer):
    """All-at-once account growth: one comprehensive offer of the full scope (CR lecture notes)."""

    offer_rate: Prob = Field(0.08, description="monthly chance an eligible customer receives the comprehensive offer")
    decision_months: float = Field(
        3.0, gt=0.0, le=24.0, description="mean months the customer takes to decide (exponential)"
    )
    base_acceptance: float = Field(-1.0, ge=-LOGIT, le=LOGIT, description="logit of acceptance for an average customer")
    size_effect: float = Field(
        0.8, ge=0.0, le=LOGIT, description="logit change per unit of log(wallet / reference_wallet)"
    )
    reference_wallet: Pos = Field(1000.0, description="monthly wallet at which customer size neither helps nor hurts")
    need_effect: float = Field(1.5, ge=0.0, le=LOGIT, description="logit change per unit of need uncertainty above 0.5")
    problem_solving_effect: float = Field(
        1.5, le=LOGIT, ge=0.0, description="logit change per unit of firm problem-solving ability above 0.5"
    )
    offer_cost: NonNeg = Field(60.0, description="selling cost of preparing the comprehensive offer")


class AccountGrowth(_Model):
    """Parameters of the account-growth strategies."""

    foot_in_the_door: FootInTheDoor = Field(FootInTheDoor(), description="small yes first, then a bigger yes")
    all_at_once: AllAtOnce = Field(AllAtOnce(), description="one comprehensive offer")


class Purchasing(_Model):
    """Rung-dependent buying behaviour."""

    purchase_probability: RungProbs = Field(
        [0.0, 0.10, 0.35, 0.55, 0.65, 0.75, 0.80, 0.85],
        description="monthly chance of a purchase occasion on rungs 1..8 (cynics never buy)",
    )
    share_of_wallet: RungProbs = Field(
        [0.0, 0.10, 0.20, 0.35, 0.50, 0.60, 0.70, 0.80],
        description="share of wallet a customer with the full product range aims for on rungs 1..8",
    )
    price_sensitivity: RungProbs = Field(
        [1.0, 0.9, 0.9, 0.6, 0.5, 0.4, 0.3, 0.1],
        description="pull of a cheaper competitor offer on rungs 1..8 (switchers buy if the price is right)",
    )
    price_premium: RungTable = Field(
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.10],
        description="extra price paid on rungs 1..8 (rung 8 pays a premium)",
    )
    referral_rate: RungProbs = Field(
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.03, 0.05],
        description="monthly chance an active customer refers a new prospect on rungs 1..8 (advocates)",
    )
    basket_cv: NonNeg = Field(0.3, description="coefficient of variation of a basket around its expected value")
    sow_adjustment: Prob = Field(0.2, description="monthly speed at which share of wallet moves to its target")
    need_concentration: Unit = Field(
        0.5, description="how much need uncertainty raises share of wallet (few suppliers, close ties)"
    )
    market_dispersion: Unit = Field(
        0.5, description="how much market uncertainty lowers share of wallet (many suppliers, arm's length)"
    )


class Trust(_Model):
    """Trust by Green's equation (credibility + reliability + intimacy) / self-orientation, scaled to [0, 1]."""

    initial: Unit = Field(0.3, description="credibility, reliability and intimacy of a new prospect")
    stage_bonus: Unit = Field(0.1, description="extra component level per stage for customers who start acquired")
    credibility_gain: Prob = Field(0.10, description="share of the gap to 1 closed by one interaction (credibility)")
    intimacy_gain: Prob = Field(0.08, description="share of the gap to 1 closed by one interaction, times closeness")
    reliability_gain: Prob = Field(0.05, description="share of the gap to 1 closed by a successful service encounter")
    reliability_loss: Prob = Field(
        0.20, description="share of reliability lost in a failure, times (1 + transaction uncertainty)"
    )
    decay: Prob = Field(0.01, description="monthly drift of credibility and intimacy back to the initial level")
    self_orientation_recovery: Prob = Field(
        0.1, description="monthly share of excess perceived self-orientation that fades"
    )


class Satisfaction(_Model):
    """Satisfaction as a weighted mean of experiences, with negativity bias and primacy (RM notes)."""

    negativity_bias: float = Field(
        2.5,
        le=100.0,
        ge=1.0,
        description="weight of a negative experience relative to a positive one (bad is stronger than good)",
    )
    primacy: float = Field(
        0.95, gt=0.0, le=1.0, description="the k-th experience weighs primacy**k: early experiences weigh more"
    )
    floor_weight: Unit = Field(0.1, description="least weight any experience keeps, however late")
    success_value: Unit = Field(0.5, description="experience value of a purchase served without failure")
    failure_severity: Unit = Field(
        0.8, description="experience value lost in a failure, times (1 + transaction uncertainty)/2"
    )
    resolved_share: Unit = Field(0.5, description="share of a failure's damage the firm's recovery removes")
    fit_weight: Unit = Field(
        0.5, description="weight of posture fit (closeness vs preferred closeness) in an experience"
    )


class Commitment(_Model):
    """Affective commitment grows with trust; calculative with switching costs and dependence, against trust."""

    affective_rate: Prob = Field(
        0.1, description="monthly share of the gap between affective commitment and trust closed"
    )
    calculative_rate: Prob = Field(0.1, description="monthly share of the gap to the calculative target closed")
    trust_on_calculative: Unit = Field(0.5, description="how much trust lowers calculative commitment (negative link)")
    products_switching_weight: Unit = Field(0.4, description="switching cost from the scope of products held")
    linkage_switching_weight: Unit = Field(0.6, description="switching cost from operational linkages")


class Service(_Model):
    """Service encounters after purchases."""

    failure_probability: Prob = Field(0.10, description="base chance a purchase's service encounter fails")
    transaction_uncertainty_effect: NonNeg = Field(
        1.0, description="failure chance multiplier per unit of transaction uncertainty"
    )
    transfer_ability_effect: Unit = Field(0.6, description="share of failures removed at full transfer ability")
    linkage_effect: Unit = Field(0.5, description="share of failures removed at full operational linkage")


class Competition(_Model):
    """Competitor offers that can pull customers away."""

    offer_rate: Prob = Field(0.04, description="monthly chance a competitor approaches an active customer")
    market_uncertainty_effect: NonNeg = Field(2.0, description="offer rate multiplier per unit of market uncertainty")
    switch_intercept: float = Field(-1.5, ge=-LOGIT, le=LOGIT, description="logit of switching for an average customer")
    price_sensitivity_effect: NonNeg = Field(2.0, description="logit change per unit of price sensitivity")
    switching_cost_effect: NonNeg = Field(3.0, description="logit loss per unit of switching cost")
    commitment_effect: NonNeg = Field(2.0, description="logit loss per unit of affective commitment")
    satisfaction_effect: NonNeg = Field(1.5, description="logit loss per unit of satisfaction")


class Ladder(_Model):
    """Monthly moves up and down the loyalty ladder, driven by trust, satisfaction and affective commitment."""

    up_rate: Prob = Field(
        0.15, description="monthly chance of climbing one rung when the drive is well above the threshold"
    )
    down_rate: Prob = Field(
        0.10, description="monthly chance of dropping one rung when the drive is well below the threshold"
    )
    thresholds: Annotated[list[float], Field(min_length=N_RUNGS - 1, max_length=N_RUNGS - 1)] = Field(
        [0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65],
        description="drive needed to climb from rung k to k+1 (k = 1..7); increasing",
    )
    steepness: Pos = Field(10.0, description="how sharply the climb chance rises around a threshold")
    trust_weight: NonNeg = Field(0.5, description="weight of trust in the drive")
    satisfaction_weight: NonNeg = Field(0.3, description="weight of satisfaction in the drive")
    affective_weight: NonNeg = Field(0.2, description="weight of affective commitment in the drive")
    failure_drop: Prob = Field(
        0.3, description="chance of dropping a rung after a failure, times transaction uncertainty"
    )

    @field_validator("thresholds")
    @classmethod
    def _increasing(cls, v: list[float]) -> list[float]:
        if any(b <= a for a, b in zip(v, v[1:], strict=False)):
            raise ValueError(f"thresholds must increase from rung 1 to rung 8, got {v}")
        return v


class Stages(_Model):
    """Moves between relationship development stages."""

    trial_rate: Prob = Field(
        0.15, description="monthly chance a prospect tries a product, times the rung's purchase chance"
    )
    prospect_exit_rate: Prob = Field(0.01, description="monthly chance a prospect who never bought loses interest")
    min_purchases: int = Field(2, ge=0, le=10_000, description="purchases before exploration can turn into expansion")
    expansion_rate: Prob = Field(0.25, description="monthly chance of exploration -> expansion when ready")
    expansion_threshold: float = Field(
        0.35, ge=-10.0, le=10.0, description="trust + satisfaction/2 needed for expansion"
    )
    commitment_rate: Prob = Field(0.15, description="monthly chance of expansion -> commitment when ready")
    commitment_threshold: float = Field(
        0.55, ge=-10.0, le=10.0, description="mean of trust, commitment and share of wallet needed for commitment"
    )
    regression_rate: Prob = Field(
        0.10, description="monthly chance of commitment -> expansion when below the threshold"
    )
    # What each stage changes: exploration, expansion, commitment (Dwyer, Schurr and Oh 1987: in exploration a
    # customer tests the firm; in expansion benefits and interdependence grow; committed customers stay through
    # single failures and look less at alternatives).  The sizes are judgement calls: Jap and Anderson (2007)
    # found the stages less distinct in data than in theory, so the defaults are modest.
    purchase_factor: StageTable = Field(
        [0.8, 1.0, 1.1], description="multiplies the rung's purchase chance in exploration, expansion, commitment"
    )
    basket_factor: StageTable = Field(
        [0.6, 1.0, 1.0],
        description="multiplies the basket in exploration, expansion, commitment (trial buys are small)",
    )
    failure_sensitivity: StageTable = Field(
        [1.5, 1.0, 0.5],
        description="multiplies the damage of a failure to satisfaction and the shock hazard, by stage",
    )
    switch_shift: Annotated[list[float], Field(min_length=3, max_length=3)] = Field(
        [0.5, 0.0, -1.0], description="logit shift of taking a competitor's offer in exploration, expansion, commitment"
    )
    hazard_factor: StageTable = Field(
        [1.5, 1.0, 0.6], description="multiplies the base dissolution hazard in exploration, expansion, commitment"
    )
    growth_acceptance_shift: Annotated[list[float], Field(min_length=3, max_length=3)] = Field(
        [-0.5, 0.5, 0.5],
        description="logit shift of accepting a growth offer in exploration, expansion, commitment (welcome once the "
        "relationship expands)",
    )

    def effect(self, name: str, neutral: float = 1.0) -> np.ndarray:
        """The per-stage values of `name` indexed by stage code (awareness and dissolution get the neutral value).

        Built once per table and reused: mechanisms look these up every month (read-only array).
        """
        return _stage_table(tuple(getattr(self, name)), neutral)

    steepness: Pos = Field(10.0, description="how sharply stage chances rise around their thresholds")


class Dissolution(_Model):
    """Hazard of ending the relationship when it is no longer worth it."""

    base_hazard: Prob = Field(0.01, description="monthly hazard for an average active customer")
    satisfaction_effect: NonNeg = Field(2.0, description="log-hazard loss per unit of satisfaction")
    trust_effect: NonNeg = Field(2.0, description="log-hazard loss per unit of trust above 0.5")
    calculative_effect: NonNeg = Field(1.0, description="log-hazard loss per unit of calculative commitment (lock-in)")
    dependence_retention: Unit = Field(0.5, description="share of the base hazard removed at full dependence")
    shock_hazard: Prob = Field(
        0.05, description="extra hazard after an unresolved failure, times transaction uncertainty"
    )
    instability: NonNeg = Field(1.0, description="how much dependence amplifies the shock hazard (less stable ties)")


RungSpend = Annotated[list[NonNeg], Field(min_length=N_RUNGS, max_length=N_RUNGS)]


class Investment(_Model):
    """One type of relationship investment: monthly spend per customer builds a bond that acts on a driver and fades."""

    spend: RungSpend = Field([0.0] * N_RUNGS, description="monthly spend per customer in a relationship, rungs 1..8")
    segment_spend: dict[str, RungSpend] = Field(
        default_factory=dict, description="per-segment spend on rungs 1..8, overriding `spend` for that segment"
    )
    effect: Prob = Field(0.1, description="most the bond (0-1) can grow in a month, at unlimited spend")
    scale: Pos = Field(20.0, description="monthly spend at which 63% (1 - 1/e) of `effect` is reached")
    decay: Prob = Field(0.05, description="monthly share of the bond that fades")

    def table(self, segments: list[str]) -> np.ndarray:
        """Spend per customer-month as a segment x rung array."""
        return np.array([self.segment_spend.get(name, self.spend) for name in segments], dtype=float)


class Investments(_Model):
    """Relationship investments by type (Palmatier, Gopalakrishna and Houston 2006: social investments pay off,
    financial ones do not, structural ones only for frequently served customers).  Effects, scales and decays are
    judgement calls; the types differ in what they act on and how fast they fade."""

    social: Investment = Field(
        Investment(effect=0.10, scale=20.0, decay=0.05),
        description="personal attention and contact: the bond works as extra interactions (credibility, intimacy)",
    )
    structural: Investment = Field(
        Investment(effect=0.08, scale=30.0, decay=0.02),
        description="linkages and customised processes: the bond grows operational linkages (switching costs, "
        "fewer failures), so it pays where customers buy often",
    )
    financial: Investment = Field(
        Investment(effect=0.20, scale=10.0, decay=0.50),
        description="discounts and rewards: the bond lowers the pull of a cheaper competitor, and fades fast",
    )
    plan: str = Field(
        "",
        description="CSV plan (rung, investment, spend_per_customer, optional segment) from crmsim optimize "
        "migration; fills the types' spend",
    )

    @model_validator(mode="before")
    @classmethod
    def _read_plan(cls, data: Any) -> Any:
        path = _plan_path(data)
        if path is None:
            return data
        out = dict(data)
        for kind, planned in read_investment_plan(path).items():
            given = out.get(kind)
            out[kind] = _with_plan(given.model_dump() if isinstance(given, BaseModel) else dict(given or {}), planned)
        return out


def _plan_path(data: Any) -> Path | None:
    """The plan file a table names, if any (a value that is not a file name is left to the field's own check)."""
    if not isinstance(data, dict) or not isinstance(data.get("plan"), str) or not data["plan"]:
        return None
    return Path(data["plan"])


def _with_plan(table: dict, planned: tuple[list[float], dict[str, list[float]]]) -> dict:
    """A spend table with a plan's spend filled in (segment spend written in the table itself wins)."""
    spend, by_segment = planned
    return {**table, "spend": spend, "segment_spend": {**by_segment, **table.get("segment_spend", {})}}


class Migration(_Model):
    """Direct rung moves bought with spend (Markov mode; the migration optimizer plans these).

    In the agent model, prefer ``[investments.*]``: a rung bought without building trust, satisfaction or commitment
    does not hold, and the customer drifts back down.
    """

    spend: Annotated[list[NonNeg], Field(min_length=N_RUNGS, max_length=N_RUNGS)] = Field(
        [0.0] * N_RUNGS, description="monthly spend per customer on rungs 1..8 (0 = no migration investment)"
    )
    segment_spend: dict[str, Annotated[list[NonNeg], Field(min_length=N_RUNGS, max_length=N_RUNGS)]] = Field(
        default_factory=dict, description="per-segment spend on rungs 1..8, overriding `spend` for that segment"
    )
    p_max: Prob = Field(0.10, description="highest extra monthly chance of moving up one rung, at unlimited spend")
    scale: Pos = Field(20.0, description="spend at which 63% (1 - 1/e) of p_max is reached")
    plan: str = Field(
        "",
        description="CSV spend plan (rung, spend_per_customer, optional segment) from crmsim optimize migration; "
        "fills the spend",
    )

    @model_validator(mode="before")
    @classmethod
    def _read_plan(cls, data: Any) -> Any:
        path = _plan_path(data)
        return data if path is None else _with_plan(data, read_spend_plan(path))


class Markov(_Model):
    """Measured monthly rung-to-rung transitions (behaviour = "markov")."""

    transitions: list[list[float]] = Field(
        default_factory=list,
        description="8 rows (rungs 1..8) of 8 or 9 probabilities; a 9th column is dissolution; rows sum to 1",
    )
    margins: RungTable = Field(
        [0.0, 5.0, 20.0, 40.0, 60.0, 80.0, 90.0, 110.0], description="monthly margin of a customer on rungs 1..8"
    )

    @field_validator("transitions")
    @classmethod
    def _stochastic(cls, v: list[list[float]]) -> list[list[float]]:
        if not v:
            return v
        if len(v) != N_RUNGS:
            raise ValueError(f"needs {N_RUNGS} rows (one per rung), got {len(v)}")
        widths = {len(row) for row in v}
        if widths not in ({N_RUNGS}, {N_RUNGS + 1}):
            raise ValueError(f"every row needs {N_RUNGS} or {N_RUNGS + 1} entries, got row lengths {sorted(widths)}")
        for k, row in enumerate(v):
            if any(not math.isfinite(p) or p < 0 or p > 1 for p in row):
                raise ValueError(f"row {k + 1} ({RUNGS[k]}) has an entry outside [0, 1]: {row}")
            if abs(sum(row) - 1.0) > 1e-6:
                raise ValueError(f"row {k + 1} ({RUNGS[k]}) sums to {sum(row):.6g}, must sum to 1")
        return v


class Scenario(_Model):
    """One simulated market: population, firm, strategy and behaviour."""

    name: str = Field("baseline", min_length=1, description="scenario label used in result tables")
    description: str = Field("", description="free text shown in reports")
    behaviour: Literal["agent", "markov", "bgnbd"] = Field(
        "agent",
        description='"agent" for the behavioural model, "markov" for measured rung transitions, '
        '"bgnbd" for a fitted buy-till-you-die population (crmsim calibrate)',
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
        if self.behaviour == "bgnbd":
            lacking = [s.name for s in self.segments if s.buy_till_you_die is None]
            if lacking:
                raise ValueError(
                    f'behaviour = "bgnbd" needs segments[*].buy_till_you_die for segments {lacking} '
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
                Scenario.model_validate(changed)
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
        return Scenario.model_validate(data)
    except ValidationError as exc:
        lines = [_format_error(e, source) for e in exc.errors()]
        raise ScenarioError("invalid scenario:\n  " + "\n  ".join(lines)) from None
