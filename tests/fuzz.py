"""Scenario-file fuzzing: mutate the shipped scenarios and check that every file is either refused cleanly or runs.

    python -m tests.fuzz [N]     # the larger run reported in README

A mutation replaces a value with a hostile one (NaN, infinities, a boolean for a
number, a number in a string, an empty list, a huge or negative number, a deep
array, a wrong type), deletes a key, or adds an unknown one.  Outcomes: a clean
error (ScenarioError, exit 2 in the CLI), a valid scenario whose short run gives
finite money, or a failure: anything else (a traceback, non-finite money).
"""

from __future__ import annotations

import copy
import math
import sys
import tomllib
from collections import Counter
from pathlib import Path

import numpy as np
import tomlkit

from sim.errors import UsageError
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = [
    float("nan"),
    float("inf"),
    -float("inf"),
    True,
    False,
    "24",
    "0.6",
    [],
    {},
    1e300,
    -1,
    -1e9,
    0,
    10**12,
    2.5,
    "",
    "all_at_once",
    [[1]],
    [float("nan")] * 8,
]


def _leaves(node, path=()):
    """Every (path, value) in a nested TOML mapping, tables and lists of tables included."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield (*path, k), v
            yield from _leaves(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            if isinstance(v, dict):
                yield from _leaves(v, (*path, i))


def _set(node, path, value):
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value


def mutate(data: dict, rng: np.random.Generator) -> dict:
    """One to three random mutations of a scenario's data."""
    data = copy.deepcopy(data)
    for _ in range(int(rng.integers(1, 4))):
        leaves = list(_leaves(data))
        if not leaves:
            break
        path, _ = leaves[int(rng.integers(len(leaves)))]
        kind = rng.random()
        if kind < 0.75:
            _set(data, path, HOSTILE[int(rng.integers(len(HOSTILE)))])
        elif kind < 0.85:
            parent = data
            for key in path[:-1]:
                parent = parent[key]
            del parent[path[-1]]
        elif kind < 0.95:
            _set(data, (*path[:-1], "unknown_key"), 1.0)
        else:
            deep: object = 1
            for _ in range(int(rng.integers(5, 60))):
                deep = [deep]
            _set(data, path, deep)
    return data


def outcome(text: str, where: Path) -> str:
    """'refused', 'ran' or 'failed: ...' for one scenario file's text."""
    where.write_text(text, encoding="utf-8")
    try:
        sc = load_scenario(where)
    except UsageError:
        return "refused"
    except Exception as exc:  # noqa: BLE001 - that is what is counted
        return f"failed: {type(exc).__name__} in load"
    try:
        small = sc.with_overrides(
            horizon_months=min(sc.horizon_months, 6),
            replications=1,
            record="aggregates",
            population={**sc.population.model_dump(), "customers": min(sc.population.customers, 150)},
        )
        from sim import run

        row = run(small).replications.iloc[0]
    except UsageError:
        return "refused"
    except Exception as exc:  # noqa: BLE001
        return f"failed: {type(exc).__name__} in run"
    money = [row[k] for k in ("revenue", "cost_to_serve", "profit", "customer_equity") if k in row]
    return "ran" if all(math.isfinite(float(m)) for m in money) else "failed: non-finite money"


def fuzz(n: int, seed: int, workdir: Path) -> Counter:
    """Outcomes of `n` mutated files from the shipped scenarios."""
    rng = np.random.default_rng(seed)
    sources = [tomllib.loads(p.read_text()) for p in sorted((ROOT / "scenarios").glob("*.toml"))]
    counts: Counter = Counter()
    for k in range(n):
        data = mutate(sources[k % len(sources)], rng)
        try:
            text = tomlkit.dumps(data)
        except Exception:  # noqa: BLE001 - a mutation TOML cannot express is no test
            counts["unwritable"] += 1
            continue
        counts[outcome(text, workdir / f"f{k}.toml")] += 1
    return counts


if __name__ == "__main__":
    import tempfile

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    with tempfile.TemporaryDirectory() as tmp:
        print(dict(fuzz(n, 2026, Path(tmp))))
