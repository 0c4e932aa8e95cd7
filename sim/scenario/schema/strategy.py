"""What the firm plays: posture, offering, account growth (FITD, all-at-once), prospecting, pricing, the
portfolio policy, relationship investments and migration spend."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    Field,
    model_validator,
)

from sim.scenario.errors import ScenarioError
from sim.scenario.plans import read_investment_plan, read_spend_plan
from sim.scenario.schema.types import LOGIT, NonNeg, Pos, Prob, RungSpend, Unit, _Model
from sim.stages import N_RUNGS


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


def with_plans(data: Any, source: str = "") -> Any:
    """Scenario data with the plan files its [investments] and [migration] tables name read into their spend.

    The one step that reads plan files, before validation (validators do no file I/O).  A plan that cannot be
    read is a ScenarioError naming the table's `plan` field.
    """
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for table, read in (("investments", read_investment_plan), ("migration", read_spend_plan)):
        given = out.get(table)
        path = _plan_path(given)
        if path is None:
            continue
        try:
            planned = read(path)
        except ValueError as exc:
            where = f"{source}: " if source else ""
            raise ScenarioError(f"invalid scenario:\n  {where}{table}.plan = {str(path)!r}: {exc}") from None
        if table == "migration":
            out[table] = _with_plan(given, planned)
        else:
            given = dict(given)
            for kind, spend in planned.items():
                table_of = given.get(kind)
                table_of = table_of.model_dump() if isinstance(table_of, BaseModel) else dict(table_of or {})
                given[kind] = _with_plan(table_of, spend)
            out[table] = given
    return out
