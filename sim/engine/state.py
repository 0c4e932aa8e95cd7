"""The state of every customer, held as arrays with one entry per customer (the customer information file)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.engine.mechanisms.trust import green_trust


@dataclass
class Customers:
    """State of every customer (C: characteristics, R: responses, P: purchase history; CIF notes)."""

    n: int  # customers in the market so far; entries n.. are the referral pool
    # who sits in each place: the key of its random numbers (its place, unless cohorts enter; see sim.engine.population)
    identity: np.ndarray
    # characteristics
    segment: np.ndarray
    wallet: np.ndarray
    need_u: np.ndarray
    market_u: np.ndarray
    transaction_u: np.ndarray
    fit: np.ndarray  # product-need fit
    existing: np.ndarray  # acquired before month 0
    entered: np.ndarray  # month the customer entered the market
    referred_by: np.ndarray  # referrer index, -1 if none
    initial_stage: np.ndarray
    initial_rung: np.ndarray
    # relationship state
    stage: np.ndarray
    rung: np.ndarray
    credibility: np.ndarray
    reliability: np.ndarray
    intimacy: np.ndarray
    self_orientation: np.ndarray  # perceived, per customer
    satisfaction: np.ndarray
    experience_weight: np.ndarray  # sum of weights of experiences so far
    experiences: np.ndarray
    affective: np.ndarray
    calculative: np.ndarray
    linkage: np.ndarray
    social_bond: np.ndarray  # bonds built by relationship investments (0-1), one per type
    structural_bond: np.ndarray
    financial_bond: np.ndarray
    products: np.ndarray
    share_of_wallet: np.ndarray
    purchases: np.ndarray
    in_episode: np.ndarray
    action: np.ndarray  # portfolio-policy action code (sim.engine.strategies.portfolio.ACTIONS)
    offers: np.ndarray  # growth offers decided
    accepted: np.ndarray  # growth offers accepted
    window_margin: np.ndarray  # margin since the last portfolio review
    window_cost: np.ndarray  # cost to serve since the last review
    window_months: np.ndarray  # months active since the last review
    in_need: np.ndarray  # an event created a need that has not faded (sim.engine.mechanisms.events)
    flagged: np.ndarray  # the CIF spotted a new need this month (event-oriented prospecting)
    price_shift: np.ndarray  # price sensitivity learnt from unfair prices (yield management)
    # history
    acquired_month: np.ndarray  # -1 if never newly acquired
    commitment_month: np.ndarray  # first month in commitment, -1 if never
    dissolved_month: np.ndarray  # -1 if still in a relationship
    cause: np.ndarray
    referrals: np.ndarray
    clv: np.ndarray  # discounted margin so far
    # flows of the current month
    month_purchases: np.ndarray
    revenue: np.ndarray
    cost: np.ndarray
    acquisition: np.ndarray
    # every array above is a field of this one: one record per place, as the compiled month reads a customer
    records: np.ndarray
    drawn: int = 0  # places 0..drawn-1 are ready; the pool draws the others as they are taken (`take`)
    pool: Callable[[Customers, int], None] | None = None  # draws places drawn..stop-1 (sim.engine.population)

    @classmethod
    def blank(cls, n: int, capacity: int, ready: int | None = None) -> Customers:
        """`capacity` places (`n` of them in the market), the first `ready` (all by default) at their empty value.

        The other places stay untouched zero pages (no memory) until `clear` readies them.
        """
        c = cls.of(np.zeros(capacity, dtype=RECORD), n)  # zeroed pages cost nothing until written
        c.drawn = capacity if ready is None else ready
        c.clear(slice(0, c.drawn))
        return c

    @classmethod
    def of(cls, records: np.ndarray, n: int = 0) -> Customers:
        """The customers whose records are `records` (a view: writing one writes the other)."""
        return cls(n=n, records=records, **{name: records[name] for name in RECORD.names})

    def clear(self, places: slice) -> None:
        """Put `places` at their empty value (whoever sits there is identified by its place)."""
        for name, (_, fill) in _EMPTY.items():
            if fill:
                self.records[name][places] = fill
        self.identity[places] = np.arange(places.start, places.stop)

    def take(self, stop: int) -> None:
        """Make sure places up to `stop` hold drawn customers before someone takes them (the referral pool)."""
        if stop > self.drawn and self.pool is not None:
            self.pool(self, stop)

    def place(self, places: slice, source: Customers, rows: slice) -> None:
        """Put `source`'s customers `rows` (who they are and how they stand) into `places`."""
        self.records[places] = source.records[rows]

    @property
    def capacity(self) -> int:
        """Customers plus the referral pool."""
        return len(self.stage)

    def trust(self, sl: slice | int | np.ndarray = slice(None)) -> np.ndarray:
        """Green's trust of customers `sl` (:func:`sim.engine.mechanisms.trust.green_trust`, the one formula)."""
        return green_trust(self.credibility[sl], self.reliability[sl], self.intimacy[sl], self.self_orientation[sl])


# dtype and empty value of each array (-1: "never" for months and "none" for referrers).
_EMPTY: dict[str, tuple[type, float]] = {
    **dict.fromkeys(("wallet", "need_u", "market_u", "transaction_u", "fit"), (np.float64, 0.0)),
    "segment": (np.int16, 0),
    "existing": (np.bool_, False),
    "entered": (np.int32, 0),
    "referred_by": (np.int32, -1),
    "initial_stage": (np.int8, 0),
    "initial_rung": (np.int8, 0),
    "stage": (np.int8, 0),
    "rung": (np.int8, 0),
    **dict.fromkeys(("credibility", "reliability", "intimacy", "self_orientation"), (np.float64, 0.0)),
    **dict.fromkeys(("satisfaction", "experience_weight", "affective", "calculative", "linkage"), (np.float64, 0.0)),
    **dict.fromkeys(("social_bond", "structural_bond", "financial_bond"), (np.float64, 0.0)),
    "experiences": (np.int32, 0),
    "products": (np.int16, 0),
    "share_of_wallet": (np.float64, 0.0),
    "purchases": (np.int32, 0),
    "in_episode": (np.bool_, False),
    "action": (np.int8, 0),
    "offers": (np.int32, 0),
    "accepted": (np.int32, 0),
    "window_margin": (np.float64, 0.0),
    "window_cost": (np.float64, 0.0),
    "window_months": (np.int32, 0),
    **dict.fromkeys(("in_need", "flagged"), (np.bool_, False)),
    "price_shift": (np.float64, 0.0),
    **dict.fromkeys(("acquired_month", "commitment_month", "dissolved_month"), (np.int32, -1)),
    "cause": (np.int8, 0),
    "referrals": (np.int32, 0),
    "clv": (np.float64, 0.0),
    "month_purchases": (np.int32, 0),
    **dict.fromkeys(("revenue", "cost", "acquisition"), (np.float64, 0.0)),
}
# Fields the month's scans read (referrers, growth starters, the books, a prospect's ladder move and every
# customer's trust drift) come first, so a scan touches two cache lines of a customer's record rather than five.
_FIRST = (
    *("stage", "rung", "in_episode", "flagged", "products", "segment", "month_purchases", "window_months"),
    *("revenue", "cost", "acquisition", "clv", "window_margin", "window_cost"),
    *("credibility", "intimacy", "self_orientation", "reliability", "satisfaction", "affective"),
)
_REST = sorted((f for f in _EMPTY if f not in _FIRST), key=lambda f: -np.dtype(_EMPTY[f][0]).itemsize)  # no padding
RECORD = np.dtype([("identity", np.int64)] + [(name, _EMPTY[name][0]) for name in (*_FIRST, *_REST)], align=True)
