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
import pandas as pd
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
    return _small_run(sc)


def _small_run(sc) -> str:
    """'ran' if a short run of `sc` gives finite money, 'refused' for a clean error, else 'failed: ...'."""
    from sim import run

    try:
        small = sc.with_overrides(
            horizon_months=min(sc.horizon_months, 6),
            replications=1,
            record="aggregates",
            population={**sc.population.model_dump(), "customers": min(sc.population.customers, 150)},
        )
        row = run(small).replications.iloc[0]
    except UsageError:
        return "refused"
    except Exception as exc:  # noqa: BLE001 - that is what is counted
        return f"failed: {type(exc).__name__} in run"
    money = [row[k] for k in ("revenue", "cost_to_serve", "profit", "customer_equity") if k in row]
    return "ran" if all(math.isfinite(float(m)) for m in money) else "failed: non-finite money"


def extremes(base) -> Counter:
    """Every numeric field of `base` at each end of its range (or at +-1e300 where it has none): outcomes by field."""
    from sim.app.dashboard.controls import controls
    from sim.scenario.overrides import with_changes

    counts: Counter = Counter()
    for c in controls(base):
        if c.kind not in ("number", "integer"):
            continue
        for value in (c.low if c.low is not None else -1e300, c.high if c.high is not None else 1e300):
            value = int(min(max(value, -(2**63)), 2**63 - 1)) if c.kind == "integer" else float(value)
            try:
                sc = with_changes(base, {c.path: value})
            except UsageError:
                counts["refused"] += 1
                continue
            except Exception as exc:  # noqa: BLE001
                counts[f"failed: {type(exc).__name__} in load ({c.path} = {value})"] += 1
                continue
            got = _small_run(sc)
            counts[got if not got.startswith("failed") else f"{got} ({c.path} = {value})"] += 1
    return counts


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


# --- transaction logs ------------------------------------------------------------------------------------------

HOSTILE_CELLS = [
    "",
    "nan",
    "inf",
    "-inf",
    "1e400",
    "-5",
    "0",
    "9" * 400,
    "2036-01-01",
    "0000-01-01",
    "1997-02-30",
    "01/02/1997",
    "1997-01-05T23:30:00-08:00",
    "1997-01-05T23:30:00+09:00",
    "\u00e9\u4e2d",
    "NULL",
    " ",
    "1,5",
    "true",
]


def mutate_log(log: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """A copy of `log` with one to five hostile edits: bad cells, shuffled rows, dropped or extra columns."""
    out = log.copy()
    for _ in range(int(rng.integers(1, 6))):
        kind = rng.random()
        if kind < 0.7:
            rows = rng.choice(len(out), size=int(rng.integers(1, max(2, len(out) // 20))), replace=False)
            column = out.columns[int(rng.integers(len(out.columns)))]
            out[column] = out[column].astype(object)
            out.loc[out.index[rows], column] = HOSTILE_CELLS[int(rng.integers(len(HOSTILE_CELLS)))]
        elif kind < 0.8:
            out = out.sample(frac=1.0, random_state=int(rng.integers(2**31)))
        elif kind < 0.9:
            out[f"extra{int(rng.integers(100))}"] = rng.random(len(out))
        else:
            out = out.iloc[: int(rng.integers(0, len(out)))]
    return out


def log_outcome(log: pd.DataFrame, where: Path, end: str) -> str:
    """'refused', 'fitted' or 'failed: ...' for one log through read, fit and the holdout check."""
    from sim.calibration.calibrate import fit_log, validate
    from sim.calibration.transactions import read_log

    log.to_csv(where, index=False)
    try:
        data = read_log(where, allow_duplicates=True)
        cal = validate(fit_log(data, end), data, replications=2)
    except UsageError:
        return "refused"
    except Exception as exc:  # noqa: BLE001 - that is what is counted
        return f"failed: {type(exc).__name__}: {str(exc)[:80]}"
    money = [v for seg in cal.fits.values() for fit in seg for v in fit.params.values()]
    return "fitted" if all(math.isfinite(v) for v in money) else "failed: non-finite estimates"


def fuzz_logs(base: pd.DataFrame, n: int, seed: int, workdir: Path, end: str) -> Counter:
    """Outcomes of `n` mutated copies of the transaction log `base` (columns customer_id, date, amount)."""
    import warnings

    rng = np.random.default_rng(seed)
    counts: Counter = Counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # future dates are reported as warnings: counted as fitted
        for k in range(n):
            counts[log_outcome(mutate_log(base, rng), workdir / f"log{k}.csv", end)] += 1
    return counts


# --- command-line options --------------------------------------------------------------------------------------

HOSTILE_OPTIONS = ["0", "-1", "nan", "inf", "1e400", "", "x", str(2**64), "2.5", "-0", "%Q", "31/12/1997", "..", "/"]


def fuzz_options(commands: dict[str, list[str]], options: dict[str, list[str]], n: int, seed: int) -> Counter:
    """Outcomes of `n` command lines, each one command with one to three of its options at hostile values.

    An outcome is 'ok' (exit 0), 'refused' (exit 2 with one error line) or 'failed: ...' (a traceback, an
    unexpected exception, or any other exit code).
    """
    from typer.testing import CliRunner

    from sim.app.cli import app

    runner = CliRunner()
    rng = np.random.default_rng(seed)
    counts: Counter = Counter()
    names = sorted(commands)
    for _ in range(n):
        name = names[int(rng.integers(len(names)))]
        args = list(commands[name])
        for option in rng.choice(options[name], size=int(rng.integers(1, 4)), replace=True):
            args += [str(option), HOSTILE_OPTIONS[int(rng.integers(len(HOSTILE_OPTIONS)))]]
        res = runner.invoke(app, args)
        clean = "Traceback" not in res.output and (res.exception is None or isinstance(res.exception, SystemExit))
        if clean and res.exit_code == 0:
            counts["ok"] += 1
        elif clean and res.exit_code == 2:
            counts["refused"] += 1
        else:
            counts[f"failed: {args!r} -> {res.exit_code} {type(res.exception).__name__}: {res.exception}"] += 1
    return counts
