"""The month's books, compiled: flows reset and occupancy counted at its start, margin and CLV booked at its end.

Every behaviour mode's market opens and closes its months here (one pass over
the customer records each), so the agent, Markov and BG/NBD modes book money
the same way.  The agent model's compiled month opens each customer's month
itself (``open_customer``), and closes the month before unless the panel needs
each customer's margin at the close (``close_customer``), sparing passes over memory.
"""

from __future__ import annotations

from numba import njit

from sim.stages import Stage

AWARENESS, DISSOLUTION = int(Stage.AWARENESS), int(Stage.DISSOLUTION)


@njit(cache=True, inline="always")
def open_customer(r, stages, rungs, active_rungs):  # noqa: ANN001, ANN201
    """Zero the customer's month flows and count it by stage and rung (and rung, if not dissolved)."""
    r.revenue = 0.0
    r.month_purchases = 0
    r.cost = 0.0
    r.acquisition = 0.0
    stages[r.stage] += 1
    rungs[r.rung] += 1
    if r.stage != DISSOLUTION:
        active_rungs[r.rung] += 1


@njit(cache=True, inline="always")
def start_counts(occupancy):  # noqa: ANN001, ANN201
    """Zero the month's occupancy counts (Recorder.occupancy) and hand them back as stages, rungs, active rungs."""
    stages, rungs, active_rungs = occupancy
    stages[:] = 0
    rungs[:] = 0
    active_rungs[:] = 0
    return stages, rungs, active_rungs


@njit(cache=True)
def open_month(c, n, occupancy):  # noqa: ANN001, ANN201
    """Open the month of customers 0..n-1 (`open_customer`) into `occupancy`, counts starting from zero."""
    stages, rungs, active_rungs = start_counts(occupancy)
    for k in range(n):
        open_customer(c[k], stages, rungs, active_rungs)


@njit(cache=True)
def close_month(c, n, gross_margin, weight, totals, margins):  # noqa: ANN001, ANN201
    """Book month's flows of customers 0..n-1: margin, discounted CLV (`weight`), the review window.

    Fills `totals` (revenue, cost to serve, acquisition, margin, purchases) and,
    when it is not empty, `margins` with each customer's margin (the panel).
    """
    totals[:] = 0.0
    for k in range(n):
        margin = close_customer(c[k], gross_margin, weight, totals)
        if len(margins):
            margins[k] = margin


@njit(cache=True, inline="always")
def close_customer(r, gross_margin, weight, totals):  # noqa: ANN001, ANN201
    """Book the customer's month: its margin (returned), discounted CLV, review window; add its flows to `totals`."""
    margin = r.revenue * gross_margin - r.cost - r.acquisition
    r.clv += margin * weight
    if r.stage != DISSOLUTION and r.stage != AWARENESS:
        # Reviews judge ongoing profitability: the acquisition cost is sunk by then.
        r.window_margin += margin + r.acquisition
        r.window_cost += r.cost
        r.window_months += 1
    totals[0] += r.revenue
    totals[1] += r.cost
    totals[2] += r.acquisition
    totals[3] += margin
    totals[4] += r.month_purchases
    return margin
