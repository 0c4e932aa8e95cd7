"""The state of every customer, held as arrays with one entry per customer (the customer information file)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sim.engine.mechanisms.trust import green_trust


class Customers:
    """State of every customer (C: characteristics, R: responses, P: purchase history; CIF notes).

    Every field of :data:`RECORD` (declared once, with its dtype, empty value and meaning, in ``_EMPTY``) is
    an attribute holding a view of `records`, one record per place: writing one writes the other.  Places
    ``n..`` are the referral pool; places ``0..drawn-1`` are ready, and `pool` draws the others as they are
    taken (:mod:`sim.engine.population`).
    """

    def __init__(self, records: np.ndarray, n: int = 0) -> None:
        self.n = n  # customers in the market so far
        self.records = records
        self.drawn = 0
        self.pool: Callable[[Customers, int], None] | None = None
        for name in records.dtype.names:
            setattr(self, name, records[name])

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
        return cls(records, n)

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

    def lifetime_value(self, sl: slice | int | np.ndarray = slice(None)) -> np.ndarray:
        """Lifetime value of customers `sl`: discounted margin to the horizon plus the residual value after it."""
        return self.clv[sl] + self.residual[sl]

    def trust(self, sl: slice | int | np.ndarray = slice(None)) -> np.ndarray:
        """Green's trust of customers `sl` (:func:`sim.engine.mechanisms.trust.green_trust`, the one formula)."""
        return green_trust(self.credibility[sl], self.reliability[sl], self.intimacy[sl], self.self_orientation[sl])


# Every customer field: its dtype and empty value (-1: "never" for months and "none" for referrers).  The one
# declaration of the customer information file: RECORD, Customers' attributes and `clear` all come from it.
_EMPTY: dict[str, tuple[type, float]] = {
    # characteristics
    "segment": (np.int16, 0),
    **dict.fromkeys(("wallet", "need_u", "market_u", "transaction_u"), (np.float64, 0.0)),
    "fit": (np.float64, 0.0),  # product-need fit
    # lifelong multipliers of the purchase chance and the dissolution hazard (segments[*].heterogeneity; 1: none)
    **dict.fromkeys(("buying", "staying"), (np.float64, 1.0)),
    "existing": (np.bool_, False),  # acquired before month 0
    "entered": (np.int32, 0),  # month the customer entered the market
    "referred_by": (np.int32, -1),  # referrer's place, -1 if none
    "initial_stage": (np.int8, 0),
    "initial_rung": (np.int8, 0),
    # relationship state
    "stage": (np.int8, 0),
    "rung": (np.int8, 0),
    **dict.fromkeys(("credibility", "reliability", "intimacy"), (np.float64, 0.0)),
    "self_orientation": (np.float64, 0.0),  # perceived, per customer
    "satisfaction": (np.float64, 0.0),
    "experience_weight": (np.float64, 0.0),  # sum of the weights of the experiences so far
    **dict.fromkeys(("affective", "calculative", "linkage"), (np.float64, 0.0)),
    # bonds built by relationship investments (0-1), one per type of sim.stages.INVESTMENT_KINDS
    **dict.fromkeys(("social_bond", "structural_bond", "financial_bond"), (np.float64, 0.0)),
    "experiences": (np.int32, 0),
    "products": (np.int16, 0),
    "share_of_wallet": (np.float64, 0.0),
    "purchases": (np.int32, 0),
    "in_episode": (np.bool_, False),
    "action": (np.int8, 0),  # portfolio-policy action code (sim.engine.strategies.portfolio.ACTIONS)
    "offers": (np.int32, 0),  # growth offers decided
    "accepted": (np.int32, 0),  # growth offers accepted
    "window_margin": (np.float64, 0.0),  # margin since the last portfolio review
    "window_cost": (np.float64, 0.0),  # cost to serve since the last review
    "window_months": (np.int32, 0),  # months active since the last review
    "in_need": (np.bool_, False),  # an event created a need that has not faded (sim.engine.mechanisms.events)
    "flagged": (np.bool_, False),  # the CIF spotted a new need this month (event-oriented prospecting)
    "price_shift": (np.float64, 0.0),  # price sensitivity learnt from unfair prices (yield management)
    # history
    "acquired_month": (np.int32, -1),  # -1 if never newly acquired
    "commitment_month": (np.int32, -1),  # first month in commitment, -1 if never
    "dissolved_month": (np.int32, -1),  # -1 if still in a relationship
    "cause": (np.int8, 0),
    "referrals": (np.int32, 0),
    "clv": (np.float64, 0.0),  # discounted margin so far (to the horizon)
    "residual": (np.float64, 0.0),  # discounted margin after the horizon (the run-off; 0 without one)
    # flows of the current month
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
