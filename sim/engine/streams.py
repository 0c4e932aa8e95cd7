"""Random streams: one independent generator per replication, purpose (and month), with random access."""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Purpose(IntEnum):
    """Independent random streams of one replication, one per purpose."""

    POPULATION = 0
    MONTHLY = 1
    TRAITS = 2  # purchase rate, dropout and spend rate of buy-till-you-die customers


def stream(seed: int, replication: int, purpose: Purpose, month: int | None = None) -> np.random.Generator:
    """The generator for one purpose of one replication (and month): random access, no shared state.

    Replication r uses ``SeedSequence(seed).spawn(...)[r]``'s key, so any
    replication can be rerun alone and parallel runs match serial ones.
    """
    key = (replication, int(purpose)) if month is None else (replication, int(purpose), month)
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=key)))
