"""The dashboard's controls, generated from the scenario schema: one per field, its help text the field's doc.

Nothing here is written twice: a field added to :mod:`sim.scenario.schema`
appears as a control by itself, with the schema's description as help, its
bounds as the input's limits and its choices as a drop-down.  Values read from
the page become a scenario through the same validation as a scenario file, so
a bad value gets the message ``crmsim validate`` prints, placed beside the
control it names.
"""

from __future__ import annotations

import copy
import math
import re
import tomllib
import types
import typing
from dataclasses import dataclass
from typing import Any, Literal

import annotated_types as at
import tomlkit
from pydantic import BaseModel

from sim.engine.modes import check_levers, ignored_levers
from sim.scenario import Scenario, ScenarioError
from sim.scenario.overrides import with_changes
from sim.scenario.paths import get_path
from sim.scenario.schema import DEFAULT_ACTIONS, Action

#: The levers a strategist moves first, shown in the sidebar (every other field is in the advanced panel).
STRATEGY = (
    "strategy.posture",
    "strategy.account_growth",
    "strategy.offering",
    "strategy.prospecting",
    "strategy.pricing",
    "portfolio_policy.scheme",
)
SIZE = ("population.customers", "horizon_months", "replications", "seed")
#: Per segment: its share of the market and its wallet (the segment mix and sizes).
SEGMENT = ("share", "wallet_median")
#: Tables that describe what-if studies, not the market: the dashboard builds those itself.
#: Plan files are never named by path on the page (that would open any file on the server): they come by upload
#: or from the folder given with `crmsim dashboard --plans`.
NOT_LEVERS = (
    "compare",
    "sweep",
    "sensitivity",
    "record",
    "name",
    "description",
    "portfolio_policy.actions",
    "investments.plan",
    "migration.plan",
)
ACTIONS = "portfolio_policy.actions"


@dataclass(frozen=True)
class Control:
    """One scenario field as a control: where it is, what it takes, and its help text."""

    path: str  # dotted path, as in scenario files and --param: segments[0].share
    kind: Literal["number", "integer", "choice", "switch", "text", "toml", "optional"]
    help: str
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None

    @property
    def id(self) -> str:
        """The page's input id (letters, digits and underscores only)."""
        return input_id(self.path)

    @property
    def label(self) -> str:
        """The field's name as a person reads it."""
        return self.path.rsplit(".", 1)[-1].replace("_", " ")

    def shown(self, value: Any) -> Any:
        """`value` as the input shows it (lists and tables as TOML literals, unset as blank)."""
        if self.kind == "toml":
            return toml_literal(value)
        if self.kind == "optional":
            return "" if value is None else toml_literal(value)
        return value

    def read(self, raw: Any) -> Any:
        """The scenario value of what the input holds, or ScenarioError naming the field."""
        if self.kind in ("number", "integer"):
            if raw is None or raw == "" or (isinstance(raw, float) and not math.isfinite(raw)):
                raise ScenarioError(f"{self.path}: enter a number")
            if self.kind == "integer":
                if float(raw) != int(raw):
                    raise ScenarioError(f"{self.path} = {raw!r}: must be a whole number")
                return int(raw)
            return float(raw)
        if self.kind == "optional":
            text = str(raw or "").strip()
            return None if not text else _toml_value(self.path, text)
        if self.kind == "toml":
            return _toml_value(self.path, str(raw or ""))
        return raw


def input_id(path: str) -> str:
    """A page id for a dotted path: segments[0].share -> f_segments_0__share."""
    return "f_" + re.sub(r"[^A-Za-z0-9]", "_", path)


def toml_literal(value: Any) -> str:
    """A list or table as a one-line TOML value."""
    if isinstance(value, dict):  # an inline table, {} when empty (a bare item would print nothing)
        table = tomlkit.inline_table()
        table.update(value)
        return table.as_string()
    return tomlkit.item(value).as_string()


def _toml_value(path: str, text: str) -> Any:
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        raise ScenarioError(f"{path} = {text!r}: not a TOML value (write a number, [1, 2, 3] or {{key = 1}})") from None


def _bounds(info: Any) -> tuple[float | None, float | None]:
    low = high = None
    for m in info.metadata:
        if isinstance(m, (at.Ge, at.Gt)):
            low = float(m.ge if isinstance(m, at.Ge) else m.gt)
        if isinstance(m, (at.Le, at.Lt)):
            high = float(m.le if isinstance(m, at.Le) else m.lt)
    return low, high


def _control(path: str, info: Any) -> Control:
    """The control of a scalar, list or table field."""
    ann, help_text = info.annotation, info.description or ""
    args = typing.get_args(ann)
    if typing.get_origin(ann) is Literal:
        return Control(path, "choice", help_text, tuple(str(a) for a in args))
    if typing.get_origin(ann) in (typing.Union, types.UnionType) and type(None) in args:
        return Control(path, "optional", help_text + " (blank: not set)")
    if ann is bool:
        return Control(path, "switch", help_text)
    if ann in (int, float):
        low, high = _bounds(info)
        return Control(path, "integer" if ann is int else "number", help_text, (), low, high)
    if ann is str:
        return Control(path, "text", help_text)
    return Control(path, "toml", help_text + " (a TOML value)")


def controls(model: BaseModel, prefix: str = "") -> list[Control]:
    """Every field of the scenario (or of a table in it, at `prefix`) as a control, in schema order."""
    out: list[Control] = []
    for name, info in type(model).model_fields.items():
        path, value = f"{prefix}{name}", getattr(model, name)
        if isinstance(value, BaseModel):
            out += controls(value, f"{path}.")
        elif isinstance(value, list) and value and isinstance(value[0], BaseModel):
            for i, item in enumerate(value):
                out += controls(item, f"{path}[{i}].")
        else:
            out.append(_control(path, info))
    return out


def levers(scenario: Scenario) -> tuple[list[Control], list[Control], list[Control]]:
    """The controls split three ways: strategy and size levers, segment levers, and the advanced rest."""
    every = {c.path: c for c in controls(scenario)}
    main = [every[p] for p in (*STRATEGY, *SIZE)]
    segments = [every[f"segments[{i}].{f}"] for i in range(len(scenario.segments)) for f in SEGMENT]
    taken = {c.path for c in (*main, *segments)}
    rest = [c for p, c in every.items() if p not in taken and not excluded(p)]
    return main, segments, rest


def excluded(path: str) -> bool:
    """Whether the field at `path` is not a lever (what-if tables, the record mode, names; actions go per class)."""
    return any(path == x or path.startswith(x + ".") for x in NOT_LEVERS)


def action_choices() -> tuple[str, ...]:
    """What the portfolio review can do to a class of customers."""
    return typing.get_args(Action)


def scheme_classes() -> dict[str, dict[str, str]]:
    """Each portfolio scheme's classes with their default actions."""
    return copy.deepcopy(DEFAULT_ACTIONS)


def action_id(scheme: str, cls: str) -> str:
    """The page id of one class's action under one scheme."""
    return input_id(f"{ACTIONS}.{scheme}.{cls}")


def current_value(scenario: Scenario, path: str) -> Any:
    """The value a control starts at: the field's value in `scenario` (tables as dicts, as the page edits them)."""
    return get_path(scenario.model_dump(), path)


def read_settings(
    base: Scenario, raw: dict[str, Any], actions: dict[str, str], plan: dict[str, Any] | None = None
) -> tuple[Scenario | None, dict[str, str], dict[str, Any]]:
    """The scenario the page's inputs describe: (scenario or None, {field: error}, {field: changed value}).

    `raw` is what each input holds, by field path; `actions` the action chosen for each class of the scheme;
    `plan` the spend a chosen plan file sets (:func:`sim.scenario.plans.plan_changes`).  A lever the scenario's
    behaviour mode never reads is an error beside it, as in ``crmsim compare``.
    """
    data = base.model_dump()
    changes: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for c in controls(base):
        if excluded(c.path) or c.path not in raw:
            continue
        try:
            value = c.read(raw[c.path])
        except ScenarioError as exc:
            errors[c.path] = str(exc)
            continue
        if value != get_path(data, c.path):
            changes[c.path] = value
    scheme = changes.get("portfolio_policy.scheme", base.portfolio_policy.scheme)
    chosen = {cls: base.portfolio_policy.actions.get(cls, a) for cls, a in DEFAULT_ACTIONS.get(scheme, {}).items()}
    if actions and actions != chosen:
        changes[ACTIONS] = actions
    changes.update(plan or {})
    if errors:
        return None, errors, changes
    try:
        sc = with_changes(base, changes)
    except ScenarioError as exc:
        return None, field_errors(str(exc), list(raw)), changes
    ignored = ignored_levers(sc, changes)
    try:
        check_levers(sc, ignored, "this page")
    except ScenarioError as exc:
        return None, dict.fromkeys(ignored, str(exc)), changes
    return sc, {}, changes


def field_errors(message: str, paths: list[str]) -> dict[str, str]:
    """Each line of a ScenarioError placed beside the control it names (its field, or the table holding it).

    A line that names a table (``segments: shares sum to 1.1``) goes beside the controls of that table whose
    field name it mentions (else beside all of them); a line naming no control is keyed by "" (shown above the
    levers).
    """
    out: dict[str, list[str]] = {}
    for line in message.splitlines():
        line = line.strip()
        if not line or line == "invalid scenario:":
            continue
        line = line.removeprefix("(scenario): ")  # a rule across fields names its table after this
        field = re.split(r"[ :=]", line, maxsplit=1)[0]
        hits = [p for p in paths if p == field] or [p for p in paths if _inside(p, field)]
        named = [p for p in hits if re.sub(r".*\.", "", p) in line]  # "shares sum to 1.45" is about the shares
        hits = named or hits
        for p in hits or [""]:
            out.setdefault(p, []).append(line)
    return {p: "; ".join(lines) for p, lines in out.items()}


def _inside(path: str, table: str) -> bool:
    return bool(table) and (path.startswith(table + ".") or path.startswith(table + "["))
