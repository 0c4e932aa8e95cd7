"""Numeric helpers the pure formulas share, written so that one definition serves numpy arrays and the compiled kernel.

The formulas of the mechanisms are plain functions marked ``register_jitable``:
numpy code calls them on arrays, and the compiled month
(:mod:`sim.engine.kernel`) calls them on one customer's numbers.  numba
compiles ``np.clip`` and ``np.where`` for arrays only and does not know
scipy.special, so this module teaches it the one-number cases: `expit` is
written as scipy writes it (``1 / (1 + exp(-x))`` with the C library's exp,
which numba calls too) so both give the same bits, and `ndtri` calls scipy's
own compiled function through its C address.
"""

from __future__ import annotations

import numpy as np
import scipy.special as special
from llvmlite import binding
from numba import types
from numba.extending import get_cython_function_address, overload


def choose(condition, a, b):  # noqa: ANN001, ANN201 (arrays or numbers)
    """`a` where `condition` holds, else `b` (np.where; one number in the compiled kernel)."""
    return np.where(condition, a, b)


@overload(choose)
def _choose(condition, a, b):  # noqa: ANN001, ANN202 (numba overload signature)
    if isinstance(condition, types.Boolean):
        return lambda condition, a, b: a if condition else b
    return lambda condition, a, b: np.where(condition, a, b)


@overload(np.clip)
def _clip_number(a, a_min, a_max):  # noqa: ANN001, ANN202
    if isinstance(a, types.Number):
        return lambda a, a_min, a_max: min(max(a, a_min), a_max)
    return None


@overload(special.expit)
def _expit(x):  # noqa: ANN001, ANN202
    return lambda x: 1.0 / (1.0 + np.exp(-x))


# scipy's compiled ndtri under a symbol name of its own: compiled code that calls it by name can be cached on disk
# (a ctypes pointer could not), and every process that imports this module makes the name known again.
binding.add_symbol("crmsim_scipy_ndtri", get_cython_function_address("scipy.special.cython_special", "ndtri"))
_ndtri = types.ExternalFunction("crmsim_scipy_ndtri", types.float64(types.float64))


@overload(special.ndtri)
def _ndtri_number(x):  # noqa: ANN001, ANN202
    if isinstance(x, types.Number):
        return lambda x: _ndtri(x)
    return None
