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

from sim.scenario.schema.behaviour import (  # noqa: F401
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
from sim.scenario.schema.market import (  # noqa: F401
    BuyTillYouDie,
    Demand,
    DiscreteTime,
    Events,
    Firm,
    Heterogeneity,
    Population,
    Segment,
)
from sim.scenario.schema.scenario import SECTIONS, SET_FIRST, Scenario, _format_error, _model_at, build_scenario  # noqa: F401
from sim.scenario.schema.strategy import (  # noqa: F401
    DEFAULT_ACTIONS,
    AccountGrowth,
    Action,
    AllAtOnce,
    FootInTheDoor,
    GrowthOffer,
    Investment,
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
    _collaborative,
    _plan_path,
    _with_plan,
)
from sim.scenario.schema.studies import Compare, SensitivitySetup, Sweep  # noqa: F401
from sim.scenario.schema.types import (  # noqa: F401
    LOGIT,
    BetaDist,
    Money,
    NonNeg,
    NonNegFinite,
    Pos,
    Prob,
    RungProbs,
    RungSpend,
    RungTable,
    StageTable,
    Unit,
    _check_range,
    _merged,
    _Model,
    _stage_table,
)
