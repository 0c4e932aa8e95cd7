"""The scenario layer: the validated schema of a simulated market, its files, template and dotted-path overrides."""

from sim.scenario.errors import ScenarioError
from sim.scenario.files import load_scenario
from sim.scenario.overrides import apply
from sim.scenario.paths import check_paths, parse_assignment, parse_variant
from sim.scenario.schema import SECTIONS, Scenario, build_scenario

__all__ = [
    "SECTIONS",
    "Scenario",
    "ScenarioError",
    "apply",
    "build_scenario",
    "check_paths",
    "load_scenario",
    "parse_assignment",
    "parse_variant",
]
