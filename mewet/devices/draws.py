"""A device's random draws, taken from numpy generators a block at a time.

A numpy generator is fast per array and slow per scalar (a `Generator.uniform` call costs
about as much as everything else a reading does). Devices draw a few scalars per message, a
resident-year is millions of messages, so they draw from here instead: standard normals and
uniforms fetched in blocks and handed out one by one, or several at once for readings taken
in bulk (`normals`, `uniforms`: the same numbers, in the same order, as that many single draws).

Normals and uniforms come from two generators spawned from the device's own: when a block of
one runs out does not change the other, so taking a stretch's normals before its uniforms
gives what taking them reading by reading gives. Same seed, same draws.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

BLOCK = 1024
Floats = npt.NDArray[np.float64]


class Draws:
    """Scalar draws with numpy's distributions, from one generator."""

    def __init__(self, rng: np.random.Generator) -> None:
        self._normal_rng, self._uniform_rng = rng.spawn(2)
        self._normal: list[float] = []
        self._uniform: list[float] = []

    def random(self) -> float:
        """Uniform on [0, 1)."""
        if not self._uniform:
            self._uniform = self._uniform_rng.random(BLOCK).tolist()
        return self._uniform.pop()

    def uniform(self, low: float, high: float) -> float:
        """Uniform on [low, high)."""
        return low + (high - low) * self.random()

    def normal(self, mean: float, sd: float) -> float:
        """Normal with this mean and standard deviation."""
        if not self._normal:
            self._normal = self._normal_rng.standard_normal(BLOCK).tolist()
        return mean + sd * self._normal.pop()

    def exponential(self, scale: float) -> float:
        """Exponential with this mean."""
        return -scale * math.log(1.0 - self.random())

    def uniforms(self, n: int) -> list[float]:
        """The next `n` uniforms on [0, 1), as `n` calls of `random` would give them."""
        return self._take(self._uniform, self._uniform_rng.random, n)

    def normals(self, n: int, mean: float, sd: float) -> list[float]:
        """The next `n` normals, as `n` calls of `normal(mean, sd)` would give them."""
        return [
            mean + sd * x for x in self._take(self._normal, self._normal_rng.standard_normal, n)
        ]

    @staticmethod
    def _take(block: list[float], refill: Callable[[int], Floats], n: int) -> list[float]:
        out: list[float] = []
        while len(block) < n - len(out):  # this block runs out first: all of it, then a fresh one
            block.reverse()  # single draws pop from the end
            out += block
            block[:] = refill(BLOCK).tolist()
        left = len(block) - (n - len(out))
        chunk = block[left:]
        del block[left:]
        chunk.reverse()
        return out + chunk if out else chunk
