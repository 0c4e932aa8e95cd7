"""Dotted paths into a scenario's data: the one addressing scheme behind variants, sweeps and overrides.

A path names a field the way the scenario file nests it:
``strategy.account_growth``, ``segments[0].wallet_median``,
``segments[*].need_uncertainty.mean`` (every segment),
``postures.collaborative.cost_to_serve``.  Every change is validated again
with the scenario, so a bad value gets the same clear message as in a file.
"""

from __future__ import annotations

import copy
import re
import tomllib
from typing import Any

from sim.scenario.errors import ScenarioError

_PART = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z0-9_]*)(?:\[(?P<index>\*|\d+)\])?$")


def set_path(node: Any, parts: list[str], value: Any, path: str) -> None:
    """Set `value` at the dotted `path` (split into `parts`) inside the nested mapping `node`, in place."""
    head, rest = parts[0], parts[1:]
    m = _PART.match(head)
    if not m:
        raise ScenarioError(f"{path}: {head!r} is not a valid path part (use name or name[index] or name[*])")
    key, index = m.group("key"), m.group("index")
    if not isinstance(node, dict) or key not in node:
        allowed = ", ".join(sorted(node)) if isinstance(node, dict) else "(none: this is a value)"
        raise ScenarioError(f"{path}: no field {key!r} here; fields are: {allowed}")
    if index is None:
        if rest:
            set_path(node[key], rest, value, path)
        else:
            node[key] = value
        return
    items = node[key]
    if not isinstance(items, list):
        raise ScenarioError(f"{path}: {key!r} is not a list, so it takes no [index]")
    targets = range(len(items)) if index == "*" else [int(index)]
    for i in targets:
        if i >= len(items):
            raise ScenarioError(f"{path}: index {i} is out of range; {key} has {len(items)} entries")
        if rest:
            set_path(items[i], rest, value, path)
        else:
            items[i] = value


def get_path(data: dict[str, Any], path: str) -> Any:
    """The value at a dotted `path` (one field: no [*]) in the nested mapping `data`."""
    node: Any = data
    for part in path.split("."):
        m = _PART.match(part)
        if not m or m.group("index") == "*":
            raise ScenarioError(f"{path}: {part!r} does not name one field (use name or name[index])")
        if not isinstance(node, dict) or m.group("key") not in node:
            raise ScenarioError(f"{path}: no field {m.group('key')!r} here")
        node = node[m.group("key")]
        if m.group("index") is not None:
            node = node[int(m.group("index"))]
    return node


def check_paths(data: dict[str, Any], changes: dict[str, Any]) -> None:
    """Raise ScenarioError if any path does not name a field of the scenario `data` (nothing is built)."""
    for path, value in changes.items():
        set_path(copy.deepcopy(data), path.split("."), value, path)


def parse_assignment(text: str) -> tuple[str, list[Any]]:
    """Parse ``PATH=V1,V2,...`` from the command line; values are read as TOML scalars (numbers, strings, booleans)."""
    if "=" not in text:
        raise ScenarioError(f"--param {text!r}: write PATH=VALUES, e.g. segments[0].wallet_median=500,1000,4000")
    path, raw = text.split("=", 1)
    values = []
    for item in raw.split(","):
        item = item.strip()
        try:
            values.append(tomllib.loads(f"v = {item}")["v"])
        except tomllib.TOMLDecodeError:
            values.append(item)  # a bare word is a string: all_at_once, collaborative
    if not path.strip() or not values or values == [""]:
        raise ScenarioError(f"--param {text!r}: needs a path and at least one value")
    return path.strip(), values


def parse_variant(text: str) -> tuple[str, dict[str, Any]]:
    """Parse ``NAME:PATH=VALUE[;PATH=VALUE]`` (a variant given on the command line) into its name and changes."""
    if ":" not in text:
        raise ScenarioError(
            f"--variant {text!r}: write NAME:PATH=VALUE[;PATH=VALUE], e.g. aao:strategy.account_growth=all_at_once"
        )
    name, rest = text.split(":", 1)
    changes = {}
    for part in rest.split(";"):
        path, values = parse_assignment(part)
        if len(values) != 1:
            raise ScenarioError(f"--variant {text!r}: {path} takes one value in a variant")
        changes[path] = values[0]
    return name.strip(), changes
