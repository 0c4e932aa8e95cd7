"""Behaviour modes behind one interface (:class:`~sim.engine.modes.base.Mode`), chosen once from ``behaviour``."""

from __future__ import annotations

from sim.engine.modes.agent import Agent
from sim.engine.modes.base import Mode
from sim.engine.modes.bgnbd import BuyTillYouDie
from sim.engine.modes.markov import Markov
from sim.scenario import Scenario

MODES: dict[str, type[Mode]] = {mode.name: mode for mode in (Agent, Markov, BuyTillYouDie)}


def mode_for(scenario: Scenario) -> Mode:
    """The behaviour mode the scenario asks for."""
    return MODES[scenario.behaviour](scenario)
