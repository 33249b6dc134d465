"""A device's random draws, taken from its numpy generator a block at a time.

A numpy generator is fast per array and slow per scalar (a `Generator.uniform` call costs
about as much as everything else a reading does). Devices draw a few scalars per message, a
resident-year is millions of messages, so they draw from here instead: standard normals and
uniforms fetched in blocks and handed out one by one. Same seed, same draws.
"""

from __future__ import annotations

import math

import numpy as np

BLOCK = 1024


class Draws:
    """Scalar draws with numpy's distributions, from one generator."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._rng = rng
        self._normal: list[float] = []
        self._uniform: list[float] = []

    def random(self) -> float:
        """Uniform on [0, 1)."""
        if not self._uniform:
            self._uniform = self._rng.random(BLOCK).tolist()
        return self._uniform.pop()

    def uniform(self, low: float, high: float) -> float:
        """Uniform on [low, high)."""
        return low + (high - low) * self.random()

    def normal(self, mean: float, sd: float) -> float:
        """Normal with this mean and standard deviation."""
        if not self._normal:
            self._normal = self._rng.standard_normal(BLOCK).tolist()
        return mean + sd * self._normal.pop()

    def exponential(self, scale: float) -> float:
        """Exponential with this mean."""
        return -scale * math.log(1.0 - self.random())
