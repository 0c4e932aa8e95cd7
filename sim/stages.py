"""Relationship development stages and loyalty-ladder rungs (pure data).

Stages follow Britton's relationship development process (RM notes):
awareness -> exploration -> expansion -> commitment, with dissolution
absorbing and reachable from every stage.  Rungs follow the 8-rung loyalty
ladder of the business-marketing literature (CR lecture notes), bottom to top.
Internally a rung is an index 0..7; tables show the ladder number 1..8.
"""

from __future__ import annotations

from enum import IntEnum


class Stage(IntEnum):
    """Stage of the relationship development process."""

    AWARENESS = 0
    EXPLORATION = 1
    EXPANSION = 2
    COMMITMENT = 3
    DISSOLUTION = 4


class Rung(IntEnum):
    """Rung of the loyalty ladder (index 0 = rung 1, cynic)."""

    CYNIC = 0  # won't buy
    SKEPTIC = 1  # willing to be convinced
    SWITCHER = 2  # buys if the price is right
    BUNDLE_BUYER = 3  # buys a bundle of products
    INVESTOR = 4  # invests in the relationship
    EXPANDER = 5  # actively seeks to expand the relationship
    ADVOCATE = 6  # enthusiastic advocate (refers new prospects)
    PREMIUM_PAYER = 7  # willing to pay a premium


class Cause(IntEnum):
    """Why a relationship dissolved (0 = it did not)."""

    NONE = 0
    DISSATISFACTION = 1  # the relationship was no longer worth it
    COMPETITOR = 2  # a competitor's offer pulled the customer away
    POOR_FIT = 3  # a growth offer that did not fit the need broke the relationship
    PROSPECT_LOST = 4  # a prospect lost interest before any purchase
    MARKOV = 5  # the measured transition matrix moved the customer out
    FIRED = 6  # the firm ended the relationship (portfolio policy)
    NOT_SERVED = 7  # outside the firm's portfolio: let go before month 0 (segments' served share)


# Plain ints for per-event code: IntEnum attribute access is slow in Python 3.11.
AWARENESS, EXPLORATION, EXPANSION, COMMITMENT, DISSOLUTION = (int(s) for s in Stage)

STAGES = [s.name.lower() for s in Stage]
RUNGS = [r.name.lower() for r in Rung]
CAUSES = [c.name.lower() for c in Cause]
N_STAGES = len(Stage)
#: Relationship investment types (Palmatier, Gopalakrishna and Houston 2006): the tables ``[investments.KIND]``,
#: the kernel's bond order, and the `investment` column of a plan file, in this order everywhere.
INVESTMENT_KINDS = ("social", "structural", "financial")
N_RUNGS = len(Rung)
ADVOCATE_RUNG = int(Rung.ADVOCATE)

# In Markov mode only rungs are measured; the stage a rung implies.
MARKOV_STAGE_OF_RUNG = (
    Stage.AWARENESS,
    Stage.AWARENESS,
    Stage.EXPLORATION,
    Stage.EXPANSION,
    Stage.EXPANSION,
    Stage.COMMITMENT,
    Stage.COMMITMENT,
    Stage.COMMITMENT,
)
