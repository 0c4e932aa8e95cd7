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

from numba import njit

from optimize.response import saturation

SOCIAL, STRUCTURAL, FINANCIAL = 0, 1, 2  # investment types, in sim.stages.INVESTMENT_KINDS order


# The optimizer's migration response, compiled as it is written there: one formula for both.
saturating = njit(cache=True, inline="always")(saturation)


@njit(cache=True, inline="always")
def grown(bond, spend, effect, scale):  # noqa: ANN001, ANN201
    """A bond after a month's spend on it: saturating in the spend, towards 1."""
    return bond + saturating(spend, effect, scale) * (1.0 - bond)


@njit(cache=True, inline="always")
def spend_row(r, s):  # noqa: ANN001, ANN201
    """Row of the spend tables: the customer's own in a designed experiment, else its segment's."""
    who = r.identity
    return s.segments + who if who < s.designed else r.segment


@njit(cache=True, inline="always")
def step(r, p, spending, rung):  # noqa: ANN001, ANN201
    """Spend each investment type in use; bonds grow, act on trust and linkages, and fade.  Returns the spend."""
    s, tables, _ = spending
    if not (s.investing[SOCIAL] or s.investing[STRUCTURAL] or s.investing[FINANCIAL]):
        return 0.0
    row, spent = spend_row(r, s), 0.0
    for kind in range(3):
        if s.investing[kind]:
            spend = tables[kind, row, rung]
            r.cost += spend
            spent += spend
            if kind == SOCIAL:
                r.social_bond = grown(r.social_bond, spend, s.effect[kind], s.scale[kind])
            elif kind == STRUCTURAL:
                r.structural_bond = grown(r.structural_bond, spend, s.effect[kind], s.scale[kind])
            else:
                r.financial_bond = grown(r.financial_bond, spend, s.effect[kind], s.scale[kind])
    tr = p.trust
    r.credibility += r.social_bond * tr.credibility_gain * (1.0 - r.credibility)
    r.intimacy += r.social_bond * tr.intimacy_gain * (1.0 - r.intimacy)
    r.linkage += r.structural_bond * (1.0 - r.linkage)
    if s.investing[SOCIAL]:  # the bonds fade after they acted
        r.social_bond *= 1.0 - s.decay[SOCIAL]
    if s.investing[STRUCTURAL]:
        r.structural_bond *= 1.0 - s.decay[STRUCTURAL]
    if s.investing[FINANCIAL]:
        r.financial_bond *= 1.0 - s.decay[FINANCIAL]
    return spent
