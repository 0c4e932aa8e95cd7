"""Relationship investments (Palmatier, Gopalakrishna and Houston 2006): spend builds bonds that act on the drivers.

Each type is priced per customer-month by rung and segment (``[investments.*]``)
and spent on customers in a relationship.  Spend builds a bond in [0, 1] with
the concave, saturating response the optimizer also uses; the bond fades at
its own rate.  The ladder then moves because the drivers move:
- social: the bond works as extra interactions (credibility, intimacy, and so
  trust and affective commitment);
- structural: the bond grows operational linkages (switching costs and
  calculative commitment, fewer service failures), which pays where customers
  buy often;
- financial: the bond lowers the pull of a cheaper competitor while it lasts,
  and it fades fast.
"""

from __future__ import annotations

from optimize.response import migration_probability as saturating
from sim.engine.mechanisms.month import Month


def step(m: Month) -> None:
    """Spend each investment type in use on the customers in a relationship; bonds grow, act and fade."""
    market, c, sc, rel = m.market, m.customers, m.scenario, m.rel
    segment = c.segment[rel]
    market.recorder.count(market.recorder.relationships, m.t, segment, m.rung)
    if not market.investment_spend:
        return
    rows = market.spend_rows(rel, segment)
    for kind, table in market.investment_spend.items():
        p = getattr(sc.investments, kind)
        spend = table[rows, m.rung]
        c.cost[rel] += spend
        market.recorder.invested[m.t] += spend.sum()
        bonds = getattr(c, f"{kind}_bond")
        b = bonds[rel]
        b += saturating(spend, p.effect, p.scale) * (1.0 - b)
        bonds[rel] = b
    tr = sc.trust
    social, structural = c.social_bond[rel], c.structural_bond[rel]
    cred, intim, linkage = c.credibility[rel], c.intimacy[rel], c.linkage[rel]
    cred += social * tr.credibility_gain * (1.0 - cred)
    intim += social * tr.intimacy_gain * (1.0 - intim)
    linkage += structural * (1.0 - linkage)
    c.credibility[rel], c.intimacy[rel], c.linkage[rel] = cred, intim, linkage
    for kind in market.investment_spend:  # the bonds fade after they acted
        bonds = getattr(c, f"{kind}_bond")
        bonds[rel] *= 1.0 - getattr(sc.investments, kind).decay
