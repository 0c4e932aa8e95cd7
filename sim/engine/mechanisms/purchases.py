"""Purchases (CR lecture notes): occasions at the rung's rate, baskets sized by wallet and share of wallet.

The stage scales both: a customer in exploration tests the firm with fewer, smaller purchases.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri

from sim.engine.mechanisms.month import Month


def share_of_wallet_target(rung_share, need_u, market_u, coverage, need_concentration, market_dispersion):
    """Share of wallet a customer moves towards.

    The rung sets the share of a customer holding the full range; need
    uncertainty concentrates purchases, market uncertainty spreads them, and
    the share cannot exceed what the products held cover.
    """
    tilt = 1.0 + need_concentration * (need_u - 0.5) * 2.0 - market_dispersion * (market_u - 0.5) * 2.0
    return np.clip(rung_share * tilt, 0.0, 1.0) * coverage


def basket(z, cv):
    """Lognormal basket multiplier with mean 1 and coefficient of variation `cv`, from standard normals `z`."""
    s2 = np.log1p(cv * cv)
    return np.exp(np.sqrt(s2) * z - 0.5 * s2)


def step(m: Month) -> None:
    """Who buys this month (a trial is a purchase), what it is worth, and what serving it costs."""
    c, sc, rel = m.customers, m.scenario, m.rel
    pu, post = sc.purchasing, sc.posture
    stages = sc.stages
    chance = np.minimum(np.asarray(pu.purchase_probability)[m.rung] * stages.effect("purchase_factor")[m.stage], 1.0)
    m.buy = (m.old & (m.u("purchase") < chance)) | m.new
    m.coverage = c.products[rel] / sc.firm.max_products
    m.sow_target = share_of_wallet_target(
        np.asarray(pu.share_of_wallet)[m.rung],
        m.need_u,
        m.market_u,
        m.coverage,
        pu.need_concentration,
        pu.market_dispersion,
    )
    sow = c.share_of_wallet[rel]
    sow[m.new] = m.sow_target[m.new]  # a first purchase starts at the target share
    c.share_of_wallet[rel] = sow
    b = np.flatnonzero(m.buy)
    revenue = np.zeros(len(rel))
    premium = 1.0 + np.asarray(pu.price_premium)[m.rung[b]]
    size = basket(ndtri(m.u("basket")[b]), pu.basket_cv) * stages.effect("basket_factor")[m.stage[b]]
    revenue[b] = c.wallet[rel[b]] * sow[b] * premium * m.price[b] * size
    c.cost[rel] += (post.cost_to_serve + post.cost_to_serve_share * revenue) * m.cost_factor
    c.revenue[rel] += revenue
    c.purchases[rel] += m.buy
    c.month_purchases[rel] += m.buy
