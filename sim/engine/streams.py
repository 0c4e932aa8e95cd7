"""Random streams: counter-based uniforms, one stream per replication and purpose, any draw computed alone.

Every mechanism and episode kind draws from a stream of its own, named by a
purpose string (``"purchase"``, ``"ladder.up"``, ``"growth_offer.2"``...).  A
purpose's key is a checksum of its name, so adding a mechanism adds a stream
and never shifts the draws of another.  Within a month a purpose gives one
uniform (or one row of `width` uniforms) per customer, keyed by the
customer's identity (its place, unless cohorts enter): customer k meets the
same draws whatever the strategy and whoever else is in the market (common
random numbers).

The monthly uniforms are counter-based (Salmon et al. 2011, "Parallel random
numbers: as easy as 1, 2, 3"): the uniform of (stream, month, identity) is a
hash of the three, so the compiled month computes a customer's draw where it
needs it, and only for the customers who reach that mechanism, instead of
filling an array per stream for the whole market.  The hash is SplitMix64's
finaliser (Steele, Lea & Flood 2014), applied to the stream's key and to the
counter separately, so two streams are not shifted copies of each other.
"""

from __future__ import annotations

import zlib
from enum import IntEnum

import numpy as np
from numba import njit

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # 2**64 over the golden ratio: SplitMix64's increment
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)


class Purpose(IntEnum):
    """Streams drawn once per replication (not per month)."""

    POPULATION = 0
    MONTHLY = 1  # parent of the per-purpose monthly streams
    TRAITS = 2  # purchase rate, dropout and spend rate of buy-till-you-die customers
    DESIGN = 3  # each customer's spend levels in a designed experiment (sim.engine.design)
    SERVED = 4  # whether the firm's portfolio serves each customer (sim.engine.strategies.holdings)


def purpose_key(name: str) -> int:
    """Stable integer key of a named purpose (CRC-32 of the name: the same in every Python session)."""
    return zlib.crc32(name.encode("utf-8"))


def stream(seed: int, replication: int, purpose: Purpose, name: str | None = None) -> np.random.Generator:
    """The generator for one purpose of one replication (and named purpose).

    Replication r uses ``SeedSequence(seed).spawn(...)[r]``'s key, so any
    replication can be rerun alone and parallel runs match serial ones.
    """
    return np.random.Generator(np.random.PCG64(_sequence(seed, replication, purpose, name)))


def _sequence(seed: int, replication: int, purpose: Purpose, name: str | None = None) -> np.random.SeedSequence:
    key: tuple[int, ...] = (replication, int(purpose))
    if name is not None:
        key += (purpose_key(name),)
    return np.random.SeedSequence(seed, spawn_key=key)


# The hash functions are not inlined by numba (no inline="always"): each of the month's draw sites would copy
# them into the pass's typed code, which cost 6.6 s of its one-time compile; LLVM inlines them anyway.
@njit(cache=True)
def _mix(z):  # noqa: ANN001, ANN202
    """SplitMix64's finaliser: a bijection of 64-bit words whose every output bit depends on every input bit."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True)
def combine(key, counter):  # noqa: ANN001, ANN201
    """64 random bits of position `counter` (an integer >= 0) of the stream with `key`."""
    return _mix(key ^ _mix((np.uint64(counter) + np.uint64(1)) * _GOLDEN))


@njit(cache=True)
def uniform(key, counter):  # noqa: ANN001, ANN201
    """The uniform on (0, 1) at position `counter` of the stream with `key` (53 bits, never 0 or 1)."""
    return (np.float64(combine(key, counter) >> _S11) + 0.5) * 2.0**-53


@njit(cache=True)
def _combine_each(roots, month):  # noqa: ANN001, ANN202
    out = np.empty(len(roots), dtype=np.uint64)
    for i in range(len(roots)):
        out[i] = combine(roots[i], month)
    return out


@njit(cache=True)
def _fill(key, identity, width, out):  # noqa: ANN001, ANN202
    for i in range(len(identity)):
        first = identity[i] * width
        for j in range(width):
            out[i, j] = uniform(key, first + j)


class MonthDraws:
    """The month's uniforms by purpose: a key per stream, and the uniforms of whichever customers ask."""

    def __init__(self, seed: int, replication: int) -> None:
        self.seed, self.replication = seed, replication
        self.month = -1
        self.identity = np.zeros(0, dtype=np.int64)
        self._roots: dict[str, np.uint64] = {}  # each purpose's key for the replication
        self._keys: dict[str, np.uint64] = {}  # ... and for the month
        self._root_rows: dict[tuple[str, ...], np.ndarray] = {}  # the roots of a tuple of purposes, in order
        self._drawn: dict[tuple[str, int], np.ndarray] = {}

    def open(self, month: int, identity: np.ndarray) -> None:
        """Start month `month` with the customers of these identities in the market, by place."""
        self.month, self.identity = month, identity
        self._keys.clear()
        self._drawn.clear()

    def key(self, purpose: str) -> np.uint64:
        """This month's key of `purpose`: customer k's uniform is ``uniform(key, identity[k])``."""
        got = self._keys.get(purpose)
        if got is None:
            got = self._keys[purpose] = np.uint64(combine(self._root(purpose), self.month))
        return got

    def _root(self, purpose: str) -> np.uint64:
        """The replication's key of `purpose` (each month's key combines it with the month)."""
        root = self._roots.get(purpose)
        if root is None:
            seq = _sequence(self.seed, self.replication, Purpose.MONTHLY, name=purpose)
            root = self._roots[purpose] = seq.generate_state(1, np.uint64)[0]
        return root

    def keys(self, purposes: tuple[str, ...]) -> np.ndarray:
        """This month's keys of `purposes`, in order (what the compiled month reads), the same as `key` gives."""
        roots = self._root_rows.get(purposes)
        if roots is None:
            roots = self._root_rows[purposes] = np.array([self._root(p) for p in purposes], dtype=np.uint64)
        return _combine_each(roots, self.month)

    def __call__(self, purpose: str, width: int = 1) -> np.ndarray:
        """Uniforms of `purpose` this month for every place in the market: one each, or a row of `width` each."""
        got = self._drawn.get((purpose, width))
        if got is None:
            got = self._drawn[(purpose, width)] = self.at(purpose, slice(None), width)
        return got

    def at(self, purpose: str, places: np.ndarray | slice, width: int = 1) -> np.ndarray:
        """Uniforms of `purpose` this month for the customers in `places` only (the same numbers as a full draw)."""
        identity = np.ascontiguousarray(self.identity[places], dtype=np.int64)
        out = np.empty((len(identity), width))
        _fill(self.key(purpose), identity, width, out)
        return out[:, 0] if width == 1 else out
