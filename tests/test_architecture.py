"""The layers stay one-way: every sim/ layer imports only layers below it, optimize/ imports nothing of sim/.

Layers, bottom to top (a module may import its own layer and any below):
vocabulary (sim.stages, sim.version, sim.errors) < scenario < engine < results < experiments, calibration
< workflows < viz < app.  ``sim/__init__`` and ``sim/__main__`` are the facade
on top.  optimize/ is a library of its own: arrays and tables in, plans out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYER = {
    "sim.stages": 0,
    "sim.version": 0,
    "sim.errors": 0,
    "sim.scenario": 1,
    "sim.engine": 2,
    "sim.results": 3,
    "sim.experiments": 4,
    "sim.calibration": 4,
    "sim.workflows": 5,
    "sim.viz": 6,
    "sim.app": 7,
}
FACADE = {"sim", "sim.__main__"}
MAX_BODY_LINES = 60
MAX_COMPILED_ARGS = 8
MAX_MODULE_LINES = 600


def _modules() -> dict[str, Path]:
    out = {}
    for pkg in ("sim", "optimize"):
        for path in (ROOT / pkg).rglob("*.py"):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Project modules that module `name` imports (anywhere in its body, lazy imports included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([base] if base else []))
            targets = [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        for target in targets:
            parts = target.split(".")
            for k in range(len(parts), 0, -1):
                if ".".join(parts[:k]) in MODULES:
                    found.add(".".join(parts[:k]))
                    break
    found.discard(name)
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _layer(module: str) -> int | None:
    for prefix, rank in LAYER.items():
        if module == prefix or module.startswith(prefix + "."):
            return rank
    return None


def test_optimize_imports_nothing_of_sim():
    bad = sorted(
        f"{m} -> {t}" for m, ts in GRAPH.items() if m.startswith("optimize") for t in ts if t.startswith("sim")
    )
    assert not bad, bad


def test_mechanisms_import_no_strategy():
    """Inside the engine, strategies use mechanisms, never the other way (issue 36)."""
    bad = sorted(
        f"{m} -> {t}"
        for m, ts in GRAPH.items()
        if m.startswith("sim.engine.mechanisms")
        for t in ts
        if t.startswith("sim.engine.strategies")
    )
    assert not bad, bad


def _third_party(path: Path) -> set[str]:
    """Top-level packages outside the project that a module imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.add(node.module.split(".")[0])
    return found - {"sim", "optimize"}


def test_simpy_is_met_in_one_package():
    """The engine's clock, events and episodes come from sim.engine.episodes; no other module imports SimPy."""
    bad = sorted(m for m, path in MODULES.items() if "simpy" in _third_party(path) and m != "sim.engine.episodes")
    assert not bad, bad


def test_no_sim_module_imports_a_layer_above_it():
    bad = []
    for m, targets in GRAPH.items():
        if not m.startswith("sim") or m in FACADE:
            continue
        assert _layer(m) is not None, f"{m} belongs to no layer: add its package to LAYER"
        bad += [f"{m} -> {t}" for t in targets if t.startswith("sim") and (t in FACADE or _layer(t) > _layer(m))]
    assert not bad, bad


def test_no_import_cycles():
    state: dict[str, int] = {}  # 1 on the stack, 2 done

    def visit(m: str, trail: list[str]) -> None:
        state[m] = 1
        for t in sorted(GRAPH[m]):
            if state.get(t) == 1:
                pytest.fail("import cycle: " + " -> ".join(trail[trail.index(t) :] + [t]))
            if t not in state:
                visit(t, trail + [t])
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state:
            visit(m, [m])


def test_functions_fit_on_a_screen():
    long = []
    for path in MODULES.values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                body = node.body
                if len(body) > 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                    body = body[1:]  # the docstring is not logic
                lines = node.end_lineno - body[0].lineno + 1
                if lines > MAX_BODY_LINES:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)")
    assert not long, long


def _compiled(node: ast.FunctionDef) -> bool:
    names = {ast.unparse(d.func if isinstance(d, ast.Call) else d).rpartition(".")[2] for d in node.decorator_list}
    return bool(names & {"njit", "jit", "register_jitable", "vectorize"})


def test_compiled_functions_take_few_arguments():
    """Kernel parameters travel as a few records and tuples, not a long positional list (issue 36)."""
    wide = []
    for path in MODULES.values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and _compiled(node) and len(node.args.args) > MAX_COMPILED_ARGS:
                wide.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({len(node.args.args)} arguments)")
    assert not wide, wide


def test_modules_stay_small():
    big = {
        str(p.relative_to(ROOT)): n
        for p in MODULES.values()
        if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert not big, big


def test_sim_root_holds_few_loose_modules():
    loose = sorted(p.name for p in (ROOT / "sim").glob("*.py"))
    packages = [p for p in (ROOT / "sim").iterdir() if (p / "__init__.py").exists()]
    assert len(loose) <= 6, loose
    assert len(packages) >= 4


def test_the_engine_types_the_market_by_its_protocol(monkeypatch):
    """Below the market, the engine sees it as sim.engine.view.MarketView, never as Any; the market is one."""
    from sim.engine.modes.agent import Agent
    from sim.engine.simulate import simulate
    from sim.engine.view import MarketView
    from tests.conftest import small

    untyped = [
        f"{m}: {node.name}"
        for m, path in MODULES.items()
        if m.startswith("sim.engine")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef) and not _compiled(node)  # compiled: `market` is the month's terms
        for a in node.args.args
        if a.arg == "market" and (a.annotation is None or ast.unparse(a.annotation) in {"Any", "object"})
    ]
    assert not untyped, untyped
    seen, prepare = [], Agent.prepare
    monkeypatch.setattr(
        Agent, "prepare", lambda self, market, traits: (seen.append(market), prepare(self, market, traits))
    )
    simulate(small(horizon_months=2), 0)
    missing = [name for name in MarketView.__annotations__ if not hasattr(seen[0], name)]
    assert isinstance(seen[0], MarketView) and not missing, missing
