"""The KPI registry: every KPI a replication reports, with its unit, the direction that is better, and its meaning.

The replications table, the CLI summary, compare verdicts, sweep winners and
the report all read this one table.  A KPI is one line here: its name, unit,
direction, meaning and how it is computed from a replication's
:class:`Ending` (:func:`sim.results.tables.replication_row` only applies
them).  Every KPI aggregates over replications by its mean (with a t-interval).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.engine.simulate import Replication
from sim.stages import Cause, Stage

#: The smallest difference that matters, by unit (a judgement call, said in README): (size, relative to the baseline
#: mean?).  A difference whose interval excludes 0 but whose estimate is smaller is reported as "negligible".
NEGLIGIBLE = {
    "currency": (0.01, True),  # 1% of the baseline's money
    "customers": (0.01, True),
    "offers": (0.01, True),
    "share": (0.005, False),  # half a percentage point
    "trust (0-1)": (0.01, False),
    "months": (0.25, False),  # about a week
}


#: Where a KPI's values can lie, by unit: its mean's interval is cut to that range (a mean of counts is never below 0).
BOUNDS = {
    "customers": (0.0, float("inf")),
    "offers": (0.0, float("inf")),
    "months": (0.0, float("inf")),
    "share": (0.0, 1.0),
    "trust (0-1)": (0.0, 1.0),
}


class Ending:
    """How one replication ended, as the KPIs read it: customer fields up to n, totals and shared groups."""

    def __init__(self, rep: Replication) -> None:
        c, n = rep.customers, rep.customers.n
        self.rep, self.customers, self.n = rep, c, n
        self.outside = self["cause"] == Cause.NOT_SERVED  # not in the firm's portfolio: never its customers
        self.was_customer = (self["existing"] | (self["acquired_month"] >= 0)) & ~self.outside
        self.ended = self["stage"] == Stage.DISSOLUTION
        self.alive = self.was_customer & ~self.ended
        self.revenue, self.cost, self.acquisition_cost, self.margin, _ = rep.recorder.totals.sum(axis=0)
        self.reached = self["commitment_month"] >= 0
        self.below = self.was_customer & (self["initial_stage"] < Stage.COMMITMENT)  # who could still reach commitment
        self.committed = self.reached & self.below
        self.clv = c.lifetime_value(slice(0, n))  # to the horizon and after it ([valuation])
        self.equity = self.clv.sum()  # customer equity
        self.equity_horizon = self["clv"].sum()  # discounted margins to the horizon only
        self.offers = int(self["offers"].sum())

    def __getitem__(self, field: str) -> np.ndarray:
        """A customer field (sim.engine.state.RECORD) of the customers in the market."""
        return getattr(self.customers, field)[: self.n]

    def mean(self, values: np.ndarray, among: np.ndarray) -> float:
        """The mean of `values` over the customers `among` (NaN when there are none)."""
        return float(values[among].mean()) if among.any() else float("nan")

    def ratio(self, part: float, whole: float) -> float:
        """part / whole, NaN when the whole is 0 (nobody to count)."""
        return float(part / whole) if whole else float("nan")


@dataclass(frozen=True)
class KPI:
    """One key performance indicator of a replication."""

    name: str
    unit: str  # currency, customers, share, months, trust (0-1), offers
    better: int  # +1 higher is better, -1 lower is better, 0 neither
    description: str
    compute: Callable[[Ending], float]
    #: How money is counted: "flow" (undiscounted, summed over the horizon), "lifetime" (discounted, with the
    #: residual value after the horizon when [valuation] has one) or "horizon" (discounted, to the horizon only).
    basis: str = ""

    def label(self, lifetime: bool = True) -> str:
        """The KPI's name as tables show it, with how its money is counted (`lifetime`: a residual is on)."""
        name = self.name.replace("_", " ")
        # Short enough for an 80-column console; the descriptions say it in full.
        basis = {"flow": "undiscounted", "horizon": "discounted"}.get(self.basis)
        if self.basis == "lifetime":
            basis = "lifetime" if lifetime else "to the horizon"
        return f"{name} ({basis})" if basis else name

    def bounded(self, low: float, high: float) -> tuple[float, float]:
        """An interval for this KPI's mean cut to the values the KPI can take."""
        lo, hi = BOUNDS.get(self.unit, (-float("inf"), float("inf")))
        return max(low, lo), min(high, hi)

    def negligible(self, baseline: float) -> float:
        """The smallest difference from a baseline of mean `baseline` that this KPI treats as mattering."""
        size, relative = NEGLIGIBLE.get(self.unit, (0.0, False))
        return size * abs(baseline) if relative else size


_ALL = (
    KPI("customers", "customers", 0, "customers ever in the market (prospects and referred newcomers included)",
        lambda o: o.n),
    KPI("acquired", "customers", 1, "prospects who made a first purchase during the horizon",
        lambda o: int((o["acquired_month"] >= 0).sum())),
    KPI("retained", "customers", 1, "customers (existing or acquired) still in a relationship at the end",
        lambda o: int(o.alive.sum())),
    KPI("dissolved", "customers", -1, "customers (existing or acquired) whose relationship ended",
        lambda o: int((o.was_customer & o.ended).sum())),
    KPI("retention", "share", 1, "retained / customers who ever bought",
        lambda o: o.ratio(o.alive.sum(), o.was_customer.sum())),
    KPI("fired", "customers", 0, "customers the portfolio policy let go",
        lambda o: int((o["cause"] == Cause.FIRED).sum())),
    KPI("not_served", "customers", 0, "customers and prospects outside the firm's portfolio (segments' served share)",
        lambda o: int(o.outside.sum())),
    KPI("revenue", "currency", 1, "revenue over the horizon (undiscounted)", lambda o: o.revenue, basis="flow"),
    KPI("cost_to_serve", "currency", -1, "cost to serve, interactions, offers and migration spend (undiscounted)",
        lambda o: o.cost, basis="flow"),
    KPI("acquisition_cost", "currency", -1, "acquisition cost paid at first purchases (undiscounted)",
        lambda o: o.acquisition_cost, basis="flow"),
    KPI("profit", "currency", 1, "gross margin minus all costs over the horizon (undiscounted)",
        lambda o: o.margin, basis="flow"),
    KPI("customer_equity", "currency", 1, "sum of the customers' lifetime values (discounted; with the residual "
        "value after the horizon, [valuation])", lambda o: o.equity, basis="lifetime"),
    KPI("customer_equity_horizon", "currency", 1, "sum of the customers' discounted margins to the horizon only",
        lambda o: o.equity_horizon, basis="horizon"),
    KPI("mean_clv", "currency", 1, "customer equity per customer in the market",
        lambda o: o.equity / o.n, basis="lifetime"),
    KPI("mean_clv_acquired", "currency", 1, "mean lifetime value of customers who ever bought",
        lambda o: o.mean(o.clv, o.was_customer), basis="lifetime"),
    KPI("share_of_wallet", "share", 1, "mean share of wallet of retained customers at the end",
        lambda o: o.mean(o["share_of_wallet"], o.alive)),
    KPI("mean_trust", "trust (0-1)", 1, "mean Green's trust of retained customers at the end",
        lambda o: o.mean(o.customers.trust(slice(0, o.n)), o.alive)),
    KPI("time_to_commitment", "months", -1, "mean months from first purchase to commitment, of those who got there",
        # existing customers count from month 0
        lambda o: o.mean(o["commitment_month"] - np.maximum(o["acquired_month"], 0), o.committed)),
    KPI("reached_commitment", "share", 1, "share of customers below commitment at their start who reached it",
        lambda o: o.ratio(o.committed.sum(), o.below.sum())),
    KPI("growth_offers", "offers", 0, "growth offers decided (contact intensity of the growth strategy)",
        lambda o: o.offers),
    KPI("growth_acceptance", "share", 1, "accepted growth offers / growth offers decided",
        lambda o: o.ratio(o["accepted"].sum(), o.offers)),
    KPI("referrals", "customers", 1, "prospects referred by advocates", lambda o: int(o["referrals"].sum())),
    KPI("lost_referrals", "customers", 0, "referrals finding the referral pool full (raise population.referral_pool)",
        lambda o: o.rep.lost_referrals),
)  # fmt: skip

KPIS: dict[str, KPI] = {k.name: k for k in _ALL}
#: The KPIs comparisons show first, in this order (all KPIs are in the tables).
HEADLINE = (
    "profit",
    "customer_equity",
    "retention",
    "share_of_wallet",
    "time_to_commitment",
    "reached_commitment",
    "mean_trust",
    "revenue",
    "cost_to_serve",
)
assert set(HEADLINE) <= set(KPIS)


def verdict(
    kpi: str, ci_low: float, ci_high: float, difference: float | None = None, baseline: float | None = None
) -> str:
    """'better', 'worse' or 'ns' for a difference interval, by the KPI's direction ('higher'/'lower' if none).

    With the `difference` and the `baseline` mean, a clear difference smaller than the KPI's negligible size
    (:data:`NEGLIGIBLE`) is 'negligible': real, but too small to act on.
    """
    if not (ci_low > 0 or ci_high < 0):
        return "ns"
    known = kpi in KPIS and difference is not None and baseline is not None
    if known and abs(difference) < KPIS[kpi].negligible(baseline):
        return "negligible"
    up = ci_low > 0
    direction = KPIS[kpi].better if kpi in KPIS else 0
    if direction == 0:
        return "higher" if up else "lower"
    return "better" if up == (direction > 0) else "worse"


def kpi_label(name: str, lifetime: bool = True) -> str:
    """How tables name KPI `name`: with how its money is counted (:meth:`KPI.label`); other names as they are."""
    return KPIS[name].label(lifetime) if name in KPIS else name.replace("_", " ")
