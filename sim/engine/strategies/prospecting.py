"""Event-oriented prospecting (CIF notes): the firm reads its customer information file for events and makes its
growth offer when a need arises, instead of at random times.

The CIF spots a new need with a recall that grows with what it knows of the
customer (its purchases: ``prior_knowledge`` with none, the full ``recall``
after many) and raises false alarms at the rate that makes a share
``precision`` of its flags real.  A flagged customer in a relationship, with
products left to buy and no episode under way, gets the strategy's growth
offer this month (:mod:`sim.engine.mechanisms.growth`); without event-oriented
prospecting offers start at the offer rate, whoever needs what.  Detection
costs ``cost`` a customer-month.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numba.extending import register_jitable

from sim.engine.mechanisms.draws import U_DETECT, draw


@register_jitable
def recall(purchases, pr):
    """Share of new needs spotted for a customer with `purchases` purchases (`pr` is the Prospecting parameters)."""
    known = pr.prior_knowledge + (1.0 - pr.prior_knowledge) * (1.0 - np.exp(-purchases / pr.learning_purchases))
    return pr.recall * known


@register_jitable
def false_alarm(event_rate, spotted, precision):
    """Monthly chance of a flag without a new need, so that a share `precision` of flags are real.

    A customer without a need meets an event at `event_rate` and is flagged
    for it with chance `spotted`; false alarms at ``q`` make the real share
    ``a s / (a s + q)``, which equals the precision for the ``q`` returned.
    """
    return min(event_rate * spotted * (1.0 - precision) / precision, 1.0)


@njit(cache=True, inline="always")
def step(r, p, u, arose):  # noqa: ANN001, ANN201
    """Whether the CIF flags the customer this month (`arose`: a need arose); returns the detection's cost."""
    pr = p.prospecting
    if r.in_need and not arose:  # a need already known is not flagged again
        r.flagged = False
        return pr.cost
    spotted = recall(r.purchases, pr)
    chance = spotted if arose else false_alarm(p.event_rate[r.segment], spotted, pr.precision)
    r.flagged = draw(u, U_DETECT, r) < chance
    return pr.cost
