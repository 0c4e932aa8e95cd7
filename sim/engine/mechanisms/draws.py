"""The month's uniforms as the compiled pass reads them: one row per named stream (sim.engine.streams).

A mechanism reads ``u[U_PURCHASE, k]`` for customer k; the row holds exactly
what ``market.draws("purchase")`` gives, so the customer meets the same
number whichever code asks.
"""

from __future__ import annotations

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
) = range(len(STREAMS))
