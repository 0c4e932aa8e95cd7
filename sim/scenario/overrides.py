"""Changing a scenario by dotted paths: the one mechanism behind strategies, comparisons and sweeps.

A path names a field the way the scenario file nests it (see :mod:`sim.scenario.paths`).
Every change is validated again with the scenario, so a bad value gets the
same clear message as in a file.
"""

from __future__ import annotations

import copy
from typing import Any

from sim.scenario.errors import ScenarioError
from sim.scenario.paths import set_path
from sim.scenario.schema import Scenario, build_scenario


def with_changes(scenario: Scenario, changes: dict[str, Any]) -> Scenario:
    """A new scenario with each dotted path set to its value, validated as a file is (ScenarioError names the field)."""
    data = copy.deepcopy(scenario.model_dump())
    for path, value in changes.items():
        set_path(data, path.split("."), value, path)
    return build_scenario(data)


def apply(scenario: Scenario, changes: dict[str, Any]) -> Scenario:
    """A new scenario with each dotted path set to its value, validated again; an error says what was set."""
    if not changes:
        return scenario
    try:
        return with_changes(scenario, changes)
    except ScenarioError as exc:
        raise ScenarioError(f"{exc} (after setting {', '.join(f'{k} = {v!r}' for k, v in changes.items())})") from None
