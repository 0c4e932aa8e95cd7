"""Yield management (CIF notes): prices by month and by the customer's price sensitivity, to fill a fixed capacity
at the highest return; and the unfairness customers feel when they pay above list.

Demand.  A customer of price sensitivity ``s`` (its rung's, plus what
unfair prices taught it) buys at a price ``x`` times list with its chance times
``exp(-(s / s_ref) (x - 1))``: at list its price elasticity is ``s / s_ref``
(``yield_management.reference_sensitivity``).  The season multiplies every
chance by ``1 + A cos(2 pi (t - peak) / 12)`` (``[demand]``), and when demand
passes the capacity (``firm.capacity``, a multiple of average demand at list
prices) a purchase occasion finds room with chance capacity / demand.

Prices.  Maximising revenue ``x exp(-(s / s_ref)(x - 1))`` under capacity gives
``x = lambda + s_ref / s`` (the inverse-elasticity rule): sensitive customers
get discounts, loyal ones pay more, and in months when demand at list prices
exceeds capacity ``lambda = ln(season / capacity)`` (the capacity's shadow
price; 0 otherwise) raises every price, bringing a reference customer's
demand down to capacity.  Prices stay
between ``price_floor`` and ``price_cap`` (what the firm can technically and
legally charge).  As everywhere in crmsim the gross margin is a share of
revenue, so the price that earns most revenue earns most margin.

Unfairness.  Paying above list lowers credibility and raises price
sensitivity, more for close customers (Haws and Bearden 2006 on dynamic
pricing and fairness; Gregoire, Tripp and Legoux 2009 on close customers'
stronger grudges); the sizes are judgement calls.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.extending import register_jitable


@register_jitable
def season(t, demand):
    """Demand index of month `t`: 1 on average over the year, ``1 + seasonality`` at the peak."""
    return 1.0 + demand.seasonality * np.cos(2.0 * np.pi * (t - demand.peak_month) / 12.0)


@register_jitable
def shadow_price(month_season, capacity):
    """The capacity's shadow price in a month of demand index `month_season`: 0 unless demand exceeds capacity.

    Idle capacity is not filled by discounts below the revenue-maximising price: they would lose revenue.
    """
    return max(np.log(month_season / capacity), 0.0) if capacity < np.inf else 0.0


@register_jitable
def price(sensitivity, shadow, ym):
    """Yield-managed price (a multiple of list) for a customer of price `sensitivity`."""
    return min(max(shadow + ym.reference_sensitivity / max(sensitivity, 1e-3), ym.price_floor), ym.price_cap)


@register_jitable
def demand_response(price, sensitivity, reference_sensitivity):
    """Multiplier of the purchase chance at `price` times list."""
    return np.exp(-(sensitivity / reference_sensitivity) * (price - 1.0))


@register_jitable
def room(capacity, demand):
    """Chance a purchase occasion finds capacity when demand is `demand` times its average at list prices."""
    return min(capacity / demand, 1.0)


@register_jitable
def month_terms(t, p):
    """The month's market: demand index, the capacity's shadow price, and the chance multiplier at list prices."""
    month_season = season(t, p.demand)
    return month_season, shadow_price(month_season, p.capacity), month_season * room(p.capacity, month_season)


@njit(cache=True, inline="always")
def terms(r, p, market):  # noqa: ANN001, ANN201
    """The customer's price (a multiple of list) and purchase-chance multiplier this month (`market`: month_terms)."""
    month_season, shadow, at_list = market
    if not p.yield_managed:
        return 1.0, at_list
    sensitivity = p.purchasing.price_sensitivity[r.rung] + r.price_shift
    x = price(sensitivity, shadow, p.yield_management)
    demand = month_season * demand_response(x, sensitivity, p.yield_management.reference_sensitivity)
    return x, demand * room(p.capacity, demand)


@njit(cache=True, inline="always")
def unfairness(r, p, x, bought):  # noqa: ANN001, ANN201
    """A purchase above list costs credibility and teaches price sensitivity, more for close customers."""
    ym = p.yield_management
    r.price_shift *= ym.sensitivity_memory
    if bought and x > 1.0:
        felt = (x - 1.0) * (1.0 + ym.closeness_effect * 0.5 * (p.closeness + r.affective))
        r.credibility *= max(1.0 - ym.unfair_trust * felt, 0.0)
        r.price_shift += ym.unfair_sensitivity * felt
