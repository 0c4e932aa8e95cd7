"""Random streams: one independent generator per replication, purpose (and month), with random access.

Every mechanism and episode kind draws from a stream of its own, named by a
purpose string (``"purchase"``, ``"ladder.up"``, ``"growth_offer.2"``...).  A
purpose's key is a checksum of its name, so adding a mechanism adds a stream
and never shifts the draws of another.  Within a month a purpose gives one
uniform (or one row of `width` uniforms) per customer, keyed by the
customer's identity (its place, unless cohorts enter): customer k meets the
same draws whatever the strategy and whoever else is in the market (common
random numbers).
"""

from __future__ import annotations

import zlib
from enum import IntEnum

import numpy as np


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


def stream(
    seed: int, replication: int, purpose: Purpose, month: int | None = None, name: str | None = None
) -> np.random.Generator:
    """The generator for one purpose of one replication (and month, and named monthly purpose).

    Replication r uses ``SeedSequence(seed).spawn(...)[r]``'s key, so any
    replication can be rerun alone and parallel runs match serial ones.
    """
    key: tuple[int, ...] = (replication, int(purpose))
    if month is not None:
        key += (month,)
    if name is not None:
        key += (purpose_key(name),)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))


class MonthDraws:
    """The month's uniforms by purpose, each drawn on first use into a buffer that is reused every month.

    float32 uniforms: half the cost of float64, and a resolution of 2**-24 is
    ample for monthly chances.  Buffers are reused because a fresh array a
    month pays its page faults again (measured: about half the cost of the draw).
    """

    def __init__(self, seed: int, replication: int, capacity: int) -> None:
        self.seed, self.replication, self.capacity = seed, replication, capacity
        self.month, self.rows, self.keys = -1, 0, 0
        self.identity: np.ndarray | None = None
        self._buffers: dict[tuple[str, int], np.ndarray] = {}
        self._drawn: dict[tuple[str, int], np.ndarray] = {}

    def open(self, month: int, rows: int, identity: np.ndarray | None = None) -> None:
        """Start month `month` with `rows` customers in the market (of these identities, if not their places)."""
        self.month, self.rows, self.identity = month, rows, identity
        # Uniforms drawn per purpose: one per place, or up to the highest identity in the market.
        self.keys = rows if identity is None else int(identity.max(initial=-1)) + 1
        self._drawn.clear()

    def block(self, purposes: tuple[str, ...], drawn: tuple[str, ...]) -> np.ndarray:
        """This month's uniforms of `purposes`, one row each (purposes x customers); rows not `drawn` are left as is.

        The compiled month reads its uniforms from one array; each row holds
        exactly what ``self(purpose)`` gives.
        """
        buf = self._buffers.get(("block", purposes))
        if buf is None:
            buf = self._buffers[("block", purposes)] = np.zeros((len(purposes), self.capacity), dtype=np.float32)
        out = buf[:, : self.rows]
        for i, purpose in enumerate(purposes):
            if purpose not in drawn:
                continue
            if self.identity is None:
                self._stream(purpose).random(out=out[i], dtype=np.float32)
            else:
                out[i] = self(purpose)
        return out

    def _stream(self, purpose: str) -> np.random.Generator:
        return stream(self.seed, self.replication, Purpose.MONTHLY, self.month, purpose)

    def __call__(self, purpose: str, width: int = 1) -> np.ndarray:
        """Uniforms of `purpose` this month: one per customer (width 1) or one row of `width` per customer."""
        key = (purpose, width)
        got = self._drawn.get(key)
        if got is None:
            buf = self._buffers.get(key)
            if buf is None:
                buf = self._buffers[key] = np.empty(self.capacity * width, dtype=np.float32)
            out = buf[: self.keys * width]
            self._stream(purpose).random(out=out, dtype=np.float32)
            got = out if width == 1 else out.reshape(self.keys, width)
            if self.identity is not None:
                got = got[self.identity]
            self._drawn[key] = got
        return got
