"""The interface every behaviour mode implements: how customers start, what a month does, how money is booked."""

from __future__ import annotations

import numpy as np

from sim.engine.episodes import Clock
from sim.engine.view import MarketView
from sim.scenario import SECTIONS, Scenario
from sim.stages import Stage

#: What only the agent model has: strategies and the behavioural mechanisms' parameters (not segment traits).
BEHAVIOURAL_LEVERS = (
    *SECTIONS["strategy"],
    *SECTIONS["behaviour"],
    "segments[*].event_rate",
    "segments[*].wallet_median",
    "segments[*].wallet_sigma",
    "segments[*].need_uncertainty",
    "segments[*].market_uncertainty",
    "segments[*].transaction_uncertainty",
    "segments[*].product_need_fit",
    "segments[*].initial_stages",
    "segments[*].heterogeneity",
)
#: KPIs only the agent model can measure.
BEHAVIOURAL_KPIS = frozenset(
    {"share_of_wallet", "mean_trust", "growth_offers", "growth_acceptance", "referrals", "lost_referrals", "fired"}
)


class Mode:
    """A behaviour mode (``behaviour = "<name>"``): chosen once from the scenario; no other code tests its name."""

    name = ""
    #: Revenue is multiplied by the firm's gross margin (False: the mode books margin directly).
    books_revenue = True
    #: A customer's revenue is proportional to its own wallet (the state-based residual scales by it).
    revenue_from_wallet = False
    #: The mode values a customer after the horizon in closed form (expected_residual), not by an estimated chain.
    residual_in_closed_form = False
    #: KPIs this mode does not model: they are left out of its tables rather than reported as constants.
    unmodelled_kpis: frozenset[str] = frozenset()
    #: Dotted scenario paths (prefixes) this mode never reads: changing them in a variant or sweep is an error.
    ignores: tuple[str, ...] = ()
    #: The mode's step opens the month itself (sim.engine.kernel.books.open_customer) before changing anyone,
    #: and closes the month before (close_customer) when the market says so (Market.closed_by_pass).
    opens_months = False

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario

    def initial_stages(self, stage: np.ndarray, rung: np.ndarray) -> np.ndarray:
        """Stages customers start in, given those drawn from the segments and their rungs."""
        return stage

    def prepare(self, market: MarketView, traits: np.random.Generator) -> None:
        """Draw what the mode needs per customer before month 0 (`traits`: its own stream)."""

    def admit(self, market: MarketView, places: slice) -> None:
        """Customers of a cohort have just taken `places` (what the mode drew per place must follow them)."""

    def step(self, market: MarketView, env: Clock, t: int) -> None:
        """Advance every customer in the market by month `t`."""
        raise NotImplementedError

    def valued_after_horizon(self, stage: np.ndarray) -> np.ndarray:
        """Which customers, by stage at the horizon, go on earning after it (the run-off): all not dissolved."""
        return stage != Stage.DISSOLUTION

    def expected_residual(self, market: MarketView, discount: float, horizon: int) -> np.ndarray:
        """Each customer's expected margin after `horizon`, discounted to month 0, in closed form from its state
        (only where `residual_in_closed_form`; ``residual = "state"`` then uses it instead of estimating a chain)."""
        raise NotImplementedError
