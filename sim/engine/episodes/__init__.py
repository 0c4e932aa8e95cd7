"""Behaviour over time between monthly steps: the one place the engine meets SimPy.

The market's month clock, the referral arrivals and the growth offers'
episodes are SimPy processes (generators that yield events); everything
else is a pure function or the compiled month.  The rest of the engine
types its clock as :class:`Clock` and its events as :data:`Event`, so SimPy
is imported here only.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import simpy

Event = simpy.Event
Process = simpy.Process
Episode = Generator[simpy.Event, Any, None]  # a SimPy process body


class Clock(simpy.Environment):
    """SimPy's environment in months, which can end the episodes still under way at the horizon.

    An episode waiting on an event sits in SimPy's queue in a reference cycle
    with that event, and its generator's frame holds the market (27 MB of
    records at 100,000 customers) until Python's cycle collector runs.
    :meth:`stop` closes every generator it started (Python's public
    ``generator.close``), which frees the frames and what they hold at once.
    """

    def __init__(self) -> None:
        super().__init__()
        self.started: list[Episode] = []

    def process(self, generator: Episode) -> simpy.Process:  # type: ignore[override]
        """Start an episode (SimPy's ``Environment.process``), remembered so that :meth:`stop` can end it."""
        self.started.append(generator)
        return super().process(generator)

    def run_until_done(self, generator: Episode) -> None:
        """Run the clock until `generator`'s process returns (the market's months), then :meth:`stop`."""
        self.run(until=self.process(generator))
        self.stop()

    def stop(self) -> None:
        """End every episode started on this clock; the clock is not run again after."""
        for generator in self.started:
            generator.close()
        self.started.clear()
