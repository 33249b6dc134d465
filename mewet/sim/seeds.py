"""The run's seeded generators: one per named part, so adding a part does not change the others."""

from __future__ import annotations

import zlib

import numpy as np


def rng_for(seed: int, name: str) -> np.random.Generator:
    """The generator of one named part of a run: adding a part does not change the others."""
    key = zlib.crc32(name.encode())
    return np.random.default_rng(np.random.SeedSequence(entropy=seed, spawn_key=(key,)))
