"""How customers behave: purchasing, trust, satisfaction, commitment, service, competition, the loyalty
ladder, stages, dissolution, and measured Markov transitions."""

from __future__ import annotations

import math
from typing import Annotated

import numpy as np
from pydantic import (
    Field,
    field_validator,
)

from sim.scenario.schema.types import (
    LOGIT,
    NonNeg,
    Pos,
    Prob,
    RungProbs,
    RungTable,
    StageTable,
    Unit,
    _Model,
    _stage_table,
)
from sim.stages import N_RUNGS, RUNGS


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
