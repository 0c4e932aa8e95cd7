"""Reading scenario files: TOML text in, a validated :class:`~sim.scenario.schema.Scenario` out."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from sim.scenario.errors import ScenarioError
from sim.scenario.schema import Scenario, build_scenario

MAX_BYTES = 1_000_000  # a scenario is a page of settings; a larger file is a mistake (or a data file)
MAX_DEPTH = 12  # tables and arrays nested deeper than any scenario field


def _depth(data: Any) -> int:
    """How deeply tables and arrays nest in `data` (iterative: no recursion limit to hit)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            break
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))
    return deepest


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(
            f"{path}: no such scenario file (give the path to a .toml file, e.g. scenarios/baseline.toml)"
        )
    if path.stat().st_size > MAX_BYTES:
        raise ScenarioError(f"{path}: {path.stat().st_size:,} bytes; a scenario file is at most {MAX_BYTES:,} bytes")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ScenarioError(f"{path}: not a text file (expected UTF-8 TOML)") from None
    except RecursionError:
        raise ScenarioError(f"{path}: arrays or tables nested too deeply to be a scenario") from None
    if _depth(data) > MAX_DEPTH:
        raise ScenarioError(f"{path}: arrays or tables nested deeper than {MAX_DEPTH} levels; no scenario field is")
    for table in ("migration", "investments"):  # plans sit next to their scenario
        plan = data[table].get("plan") if isinstance(data.get(table), dict) else None
        if isinstance(plan, str) and plan and not Path(plan).is_absolute():
            data[table]["plan"] = str(path.parent / plan)
    return build_scenario(data, source=str(path))
