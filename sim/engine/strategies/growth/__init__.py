"""Account-growth strategies (CR lecture notes), one module each: ``strategy.account_growth = "<module>"``.

A growth module defines ``start(env, market, cohort) -> simpy.Process``: the
episode that takes a monthly cohort of customers through its offers.  Adding
a strategy is adding a module here (plus its parameters in the scenario
schema); the registry below finds it.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

import numpy as np
import simpy

Start = Callable[[simpy.Environment, Any, np.ndarray], simpy.Process]

_HELPERS = {"offers"}  # modules shared by the strategies, not strategies themselves

GROWTH: dict[str, Start] = {
    info.name: importlib.import_module(f"{__name__}.{info.name}").start
    for info in pkgutil.iter_modules(__path__)
    if info.name not in _HELPERS
}
