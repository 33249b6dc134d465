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
READY = 64
"""Draws are fetched `BLOCK` at a time and kept as a numpy array (8 bytes a number), and
turned into Python floats `READY` at a time: a home of a fleet holds thousands of blocks,
and a block as a list of floats would take four times the memory."""
Floats = npt.NDArray[np.float64]


class _Stream:
    """One generator's numbers, handed out from the end of each block (the order single
    draws have always had: same seed, same draws)."""

    __slots__ = ("block", "fill", "left", "ready")

    def __init__(self, fill: Callable[[int], Floats]) -> None:
        self.fill = fill
        self.block: Floats | None = None
        self.left = 0
        self.ready: list[float] = []
        """The next numbers as Python floats, the next one last (for `pop`)."""

    def refill(self) -> None:
        """Put the next `READY` numbers (or the rest of the block) in `ready`."""
        if self.left == 0:
            self.block = self.fill(BLOCK)
            self.left = BLOCK
        assert self.block is not None
        k = min(READY, self.left)
        self.ready[:] = self.block[self.left - k : self.left].tolist()
        self.left -= k

    def take(self, n: int) -> list[float]:
        """The next `n` numbers in the order single draws would give them."""
        ready = self.ready
        if len(ready) >= n:
            out = ready[len(ready) - n :]
            del ready[len(ready) - n :]
            out.reverse()
            return out
        out = ready[::-1]
        ready.clear()
        while len(out) < n:
            if self.left == 0:
                self.block = self.fill(BLOCK)
                self.left = BLOCK
            assert self.block is not None
            k = min(n - len(out), self.left)
            out += self.block[self.left - k : self.left][::-1].tolist()
            self.left -= k
        return out


class Draws:
    """Scalar draws with numpy's distributions, from one generator."""

    def __init__(self, rng: np.random.Generator) -> None:
        normal_rng, uniform_rng = rng.spawn(2)
        self._normals = _Stream(normal_rng.standard_normal)
        self._uniforms = _Stream(uniform_rng.random)
        self._normal = self._normals.ready
        self._uniform = self._uniforms.ready

    def random(self) -> float:
        """Uniform on [0, 1)."""
        if not self._uniform:
            self._uniforms.refill()
        return self._uniform.pop()

    def uniform(self, low: float, high: float) -> float:
        """Uniform on [low, high)."""
        return low + (high - low) * self.random()

    def normal(self, mean: float, sd: float) -> float:
        """Normal with this mean and standard deviation."""
        if not self._normal:
            self._normals.refill()
        return mean + sd * self._normal.pop()

    def exponential(self, scale: float) -> float:
        """Exponential with this mean."""
        return -scale * math.log(1.0 - self.random())

    def uniforms(self, n: int) -> list[float]:
        """The next `n` uniforms on [0, 1), as `n` calls of `random` would give them."""
        return self._uniforms.take(n)

    def normals(self, n: int, mean: float, sd: float) -> list[float]:
        """The next `n` normals, as `n` calls of `normal(mean, sd)` would give them."""
        return [mean + sd * x for x in self._normals.take(n)]
