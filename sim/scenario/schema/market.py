"""The market a scenario describes: segments (wallets, traits, fitted buy-till-you-die parameters), the
population, the firm, demand and customer life events."""

from __future__ import annotations

from typing import Annotated

from pydantic import (
    Field,
    field_validator,
)

from sim.scenario.schema.types import BetaDist, NonNeg, Pos, Prob, RungProbs, Unit, _Model


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


class DiscreteTime(_Model):
    """Fitted BG/BB and Gamma-Gamma parameters of a segment (behaviour = "bgbb"; crmsim calibrate --model bgbb)."""

    alpha: Pos = Field(
        1.204, description="BG/BB: Beta alpha of the chance to transact at an opportunity (FHS 2010 donations: 1.204)"
    )
    beta: Pos = Field(0.750, description="BG/BB: Beta beta of the chance to transact (donations: 0.750)")
    gamma: Pos = Field(
        0.657, description="BG/BB: Beta gamma of the chance to drop out before an opportunity (donations: 0.657)"
    )
    delta: Pos = Field(2.783, description="BG/BB: Beta delta of the chance to drop out (donations: 2.783)")
    period_months: int = Field(
        12, ge=1, le=120, description="months between transaction opportunities (12: a yearly appeal)"
    )
    spend_p: Pos = Field(6.25, description="Gamma-Gamma: shape of a transaction's value (CDNOW: 6.25)")
    spend_q: float = Field(
        3.74, gt=1.0, description="Gamma-Gamma: shape of the spend-rate Gamma; > 1 for a finite mean (CDNOW: 3.74)"
    )
    spend_scale: Pos = Field(
        15.44, description="Gamma-Gamma: scale of the spend-rate Gamma, in currency (CDNOW: 15.44)"
    )


class Heterogeneity(_Model):
    """Lifelong differences between a segment's customers beyond their rung (NBD, Pareto/NBD and BG/NBD style)."""

    purchase_shape: float | None = Field(
        None,
        gt=0.0,
        le=1e6,
        description="shape k of each customer's lifelong purchase multiplier, Gamma with mean 1 (variance 1/k): "
        "it scales the rung's purchase chance for life; none: every customer of a rung buys alike",
    )
    hazard_shape: float | None = Field(
        None,
        gt=0.0,
        le=1e6,
        description="shape k of each customer's lifelong dissolution multiplier, Gamma with mean 1: it scales the "
        "monthly hazard for life; none: every customer in the same state is as likely to leave",
    )

    @property
    def on(self) -> bool:
        """Whether any multiplier is drawn."""
        return self.purchase_shape is not None or self.hazard_shape is not None


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
    discrete_time: DiscreteTime | None = Field(
        None, description='fitted BG/BB and Gamma-Gamma parameters, used when behaviour = "bgbb"'
    )
    heterogeneity: Heterogeneity = Field(
        Heterogeneity(), description="lifelong differences between customers beyond their rung (agent model)"
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


class Events(_Model):
    """Life-cycle and situational events that create a need (CIF notes); their monthly rate is per segment."""

    need_months: float = Field(3.0, ge=1.0, le=120.0, description="mean months a need lasts before it fades")
    acceptance_effect: float = Field(
        1.0, ge=0.0, le=10.0, description="logit rise in growth-offer acceptance when the decision meets a need"
    )
    fit_effect: Unit = Field(0.2, description="rise in the perceived product-need fit of an offer that meets a need")


class Demand(_Model):
    """Demand over the year, whatever the strategy: purchase chances swing with the season."""

    seasonality: float = Field(
        0.0, ge=0.0, lt=1.0, description="amplitude: purchase chances swing between 1 - this and 1 + this times theirs"
    )
    peak_month: int = Field(11, ge=0, le=11, description="month of the year demand peaks (0: the first simulated)")
