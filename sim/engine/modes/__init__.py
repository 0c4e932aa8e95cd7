"""Behaviour modes behind one interface (:class:`~sim.engine.modes.base.Mode`), chosen once from ``behaviour``."""

from __future__ import annotations

import re

from sim.engine.modes.agent import Agent
from sim.engine.modes.base import Mode
from sim.engine.modes.bgbb import DiscreteBuyTillYouDie
from sim.engine.modes.bgnbd import BuyTillYouDie
from sim.engine.modes.markov import Markov
from sim.scenario import Scenario, ScenarioError

MODES: dict[str, type[Mode]] = {mode.name: mode for mode in (Agent, Markov, BuyTillYouDie, DiscreteBuyTillYouDie)}


def mode_for(scenario: Scenario) -> Mode:
    """The behaviour mode the scenario asks for."""
    return MODES[scenario.behaviour](scenario)


def ignored_levers(scenario: Scenario, paths) -> list[str]:
    """The dotted paths among `paths` that the scenario's behaviour mode never reads (changing them changes nothing)."""
    prefixes = MODES[scenario.behaviour].ignores
    out = []
    for path in paths:
        generic = re.sub(r"\[\d+\]", "[*]", path)
        if any(generic == p or generic.startswith((p + ".", p + "[")) for p in prefixes):
            out.append(path)
    return out


def check_levers(scenario: Scenario, paths, where: str) -> None:
    """Raise ScenarioError if `where` (a variant, a sweep) changes levers the scenario's mode ignores."""
    bad = ignored_levers(scenario, paths)
    if bad:
        raise ScenarioError(
            f'{where}: behaviour = "{scenario.behaviour}" never reads {", ".join(bad)}, so changing it changes '
            'nothing; compare strategies with behaviour = "agent" (crmsim calibrate --model bgnbd fits no strategy '
            "response), or drop these levers"
        )
