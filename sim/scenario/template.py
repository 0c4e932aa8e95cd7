"""Write a scenario as a commented TOML file: every field, its value and what it means.

The comments come from the field descriptions in :mod:`sim.scenario`, so the
shipped ``scenarios/baseline.toml`` and the copy of the resolved scenario that
every run writes cannot drift from the code.
"""

from __future__ import annotations

from typing import Any

import tomlkit
from pydantic import BaseModel

from sim.scenario.schema import SET_FIRST, BetaDist, Scenario

HEADER = """crmsim scenario file. Every key is optional: a missing key takes the default shown here.
Units: money in currency units per month unless said otherwise; rates and chances are monthly.
Rung tables list rungs 1..8 of the loyalty ladder: cynic, skeptic, switcher, buys a bundle,
invests in the relationship, seeks to expand it, enthusiastic advocate, pays a premium."""


SET_FIRST_NOTE = "set this first: among the parameters that move profit most (README: Parameters to set first)"


def _value(v: Any) -> Any:
    if isinstance(v, BetaDist):
        t = tomlkit.inline_table()
        t.update({"mean": v.mean, "concentration": v.concentration})
        return t
    if isinstance(v, dict):
        t = tomlkit.inline_table()
        t.update(v)
        return t
    if isinstance(v, list) and v and isinstance(v[0], list):
        arr = tomlkit.array()
        arr.extend(v)
        arr.multiline(True)
        return arr
    return v


def _fill(table: Any, model: BaseModel, path: str = "") -> None:
    """Add `model`'s scalar fields (with comments) to `table`, then its sub-tables; `path` is where it sits."""
    nested: list[tuple[str, Any]] = []
    for name, info in type(model).model_fields.items():
        v = getattr(model, name)
        if isinstance(v, BaseModel) and not isinstance(v, BetaDist):
            nested.append((name, v))
            continue
        if isinstance(v, list) and v and isinstance(v[0], BaseModel):
            nested.append((name, v))
            continue
        if info.description:
            table.add(tomlkit.comment(info.description))
        if f"{path}{name}" in SET_FIRST:
            table.add(tomlkit.comment(SET_FIRST_NOTE))
        if v is None:
            table.add(tomlkit.comment(f"{name}: not set"))  # TOML has no null: an absent key means "not set"
            continue
        table.add(name, _value(v))
    for name, v in nested:
        desc = type(model).model_fields[name].description
        if isinstance(v, list):
            aot = tomlkit.aot()
            for item in v:
                sub = tomlkit.table()
                _fill(sub, item, f"{path}{name}[*].")
                aot.append(sub)
            table.add(tomlkit.nl())
            if desc:
                table.add(tomlkit.comment(f"[[{name}]]: {desc}; repeat the block for each segment"))
            table.add(name, aot)
        else:
            sub = tomlkit.table(is_super_table=False)
            if desc:
                sub.comment(desc)
            _fill(sub, v, f"{path}{name}.")
            table.add(tomlkit.nl())
            table.add(name, sub)


def scenario_toml(scenario: Scenario, header: str = HEADER) -> str:
    """The scenario as TOML text with a comment above every key."""
    doc = tomlkit.document()
    for line in header.splitlines():
        doc.add(tomlkit.comment(line))
    doc.add(tomlkit.nl())
    _fill(doc, scenario)
    return tomlkit.dumps(doc)


__all__ = ["scenario_toml", "HEADER"]
