"""The month's uniforms as the compiled pass reads them: one key per named stream (sim.engine.streams).

A mechanism reads ``draw(u, U_PURCHASE, r)`` for customer record r: the
number ``market.draws("purchase")`` gives that customer, so it meets the same
number whichever code asks, and it is computed only if the mechanism asks.
"""

from __future__ import annotations

from numba import njit

from sim.engine.streams import uniform

#: The named streams of the compiled pass, in row order.
STREAMS = (
    "purchase",
    "interaction",
    "basket",
    "service.failure",
    "service.recovery",
    "ladder.failure_drop",
    "ladder.up",
    "migration",
    "ladder.down",
    "stage",
    "competitor.offer",
    "competitor.switch",
    "dissolution",
    "event",
    "event.detect",
    "referral",
    "growth.start",
)
(
    U_PURCHASE,
    U_INTERACTION,
    U_BASKET,
    U_FAILURE,
    U_RECOVERY,
    U_FAILURE_DROP,
    U_UP,
    U_MIGRATION,
    U_DOWN,
    U_STAGE,
    U_OFFER,
    U_SWITCH,
    U_DISSOLUTION,
    U_EVENT,
    U_DETECT,
    U_REFERRAL,
    U_GROWTH_START,
) = range(len(STREAMS))


@njit(cache=True)
def draw(u, row, r):  # noqa: ANN001, ANN201
    """Customer record r's uniform of this month's stream `row` (u holds the month's keys, sim.engine.streams)."""
    return uniform(u[row], r.identity)
