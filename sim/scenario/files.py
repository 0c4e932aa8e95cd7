"""Reading scenario files: TOML text in, a validated :class:`~sim.scenario.schema.Scenario` out."""

from __future__ import annotations

import tomllib
from pathlib import Path

from sim.scenario.errors import ScenarioError
from sim.scenario.schema import Scenario, build_scenario


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(
            f"{path}: no such scenario file (give the path to a .toml file, e.g. scenarios/baseline.toml)"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        plan = data.get("migration", {}).get("plan") if isinstance(data.get("migration"), dict) else None
        if plan and not Path(plan).is_absolute():
            data["migration"]["plan"] = str(path.parent / plan)  # plans sit next to their scenario
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not a text file (expected UTF-8 TOML)") from None
    return build_scenario(data, source=str(path))
