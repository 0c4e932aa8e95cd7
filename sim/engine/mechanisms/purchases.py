"""Purchases (CR lecture notes): occasions at the rung's rate, baskets sized by wallet and share of wallet.

The stage scales both: a customer in exploration tests the firm with fewer, smaller purchases.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.extending import register_jitable
from scipy.special import ndtri

from sim.engine.mechanisms.draws import U_BASKET, U_PURCHASE, draw


@register_jitable
def share_of_wallet_target(rung_share, need_u, market_u, coverage, need_concentration, market_dispersion):
    """Share of wallet a customer moves towards.

    The rung sets the share of a customer holding the full range; need
    uncertainty concentrates purchases, market uncertainty spreads them, and
    the share cannot exceed what the products held cover.
    """
    tilt = 1.0 + need_concentration * (need_u - 0.5) * 2.0 - market_dispersion * (market_u - 0.5) * 2.0
    return np.clip(rung_share * tilt, 0.0, 1.0) * coverage


@register_jitable
def basket(z, cv):
    """Lognormal basket multiplier with mean 1 and coefficient of variation `cv`, from standard normals `z`."""
    s2 = np.log1p(cv * cv)
    return np.exp(np.sqrt(s2) * z - 0.5 * s2)


@njit(cache=True, inline="always")
def step(r, p, u, new, rung, stage, terms):  # noqa: ANN001, ANN201
    """Whether the customer buys (a trial is a purchase), what it pays, what serving it costs; its target share.

    `terms` is (price factor, cost-to-serve factor, demand); demand multiplies the purchase chance (season,
    price response and room left: sim.engine.strategies.pricing).
    """
    price, cost_factor, demand = terms
    pu = p.purchasing
    # r.buying: the customer's lifelong multiplier (1 unless segments[*].heterogeneity draws one)
    chance = min(pu.purchase_probability[rung] * p.staged.purchase_factor[stage] * demand * r.buying, 1.0)
    buy = new or draw(u, U_PURCHASE, r) < chance
    coverage = r.products / p.firm.max_products
    target = share_of_wallet_target(
        pu.share_of_wallet[rung], r.need_u, r.market_u, coverage, pu.need_concentration, pu.market_dispersion
    )
    if new:
        r.share_of_wallet = target  # a first purchase starts at the target share
    revenue = 0.0
    if buy:
        premium = 1.0 + pu.price_premium[rung]
        z = ndtri(draw(u, U_BASKET, r))
        size = basket(z, pu.basket_cv) * p.staged.basket_factor[stage]
        revenue = r.wallet * r.share_of_wallet * premium * price * size
    post = p.posture
    r.cost += (post.cost_to_serve + post.cost_to_serve_share * revenue) * cost_factor
    r.revenue += revenue
    r.purchases += buy
    r.month_purchases += buy
    return buy, coverage, target
