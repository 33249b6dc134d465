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

import numpy as np
import numpy.typing as npt

BLOCK = 1024
READY = 64
"""Draws come `BLOCK` at a time and are turned into Python floats `READY` at a time: a home
of a fleet has some fifty streams, and a block as a list of floats would take 32 KiB."""
Floats = npt.NDArray[np.float64]
_CYCLE = 1 << 128
"""PCG64's period: advancing by `_CYCLE - k` goes back `k` steps."""


class _Stream:
    """One generator's numbers, handed out from the end of each block (the order single
    draws have always had: same seed, same draws). The generator is made at the first draw:
    most devices never use some of their streams.

    A block of normals is kept (a normal takes a varying number of the generator's steps). A
    block of uniforms is not: a uniform takes exactly one step, so the stream moves its
    generator to the part of the block it needs and draws just that (PCG64 jumps both ways
    cheaply), and keeps only where the block began (8 KiB less per stream)."""

    __slots__ = ("at", "base", "block", "left", "normal", "ready", "rng", "seed")

    def __init__(self, seed: np.random.SeedSequence, normal: bool) -> None:
        self.seed = seed
        self.normal = normal
        self.rng: np.random.Generator | None = None
        self.block: Floats | None = None
        self.base = -BLOCK  # uniforms: the step the block begins at
        self.at = 0  # uniforms: the step the generator is at
        self.left = 0
        self.ready: list[float] = []
        """The next numbers as Python floats, the next one last (for `pop`)."""

    def _next_block(self) -> None:
        if self.rng is None:
            self.rng = np.random.Generator(np.random.PCG64(self.seed))
        if self.normal:
            self.block = self.rng.standard_normal(BLOCK)
        else:
            self.base += BLOCK
        self.left = BLOCK

    def _slice(self, start: int, stop: int) -> list[float]:
        if self.block is not None:
            return self.block[start:stop].tolist()  # type: ignore[no-any-return]
        assert self.rng is not None
        step = self.base + start
        self.rng.bit_generator.advance((step - self.at) % _CYCLE)  # type: ignore[attr-defined]
        self.at = self.base + stop
        return self.rng.random(stop - start).tolist()  # type: ignore[no-any-return]

    def refill(self) -> None:
        """Put the next `READY` numbers (or the rest of the block) in `ready`."""
        if self.left == 0:
            self._next_block()
        k = min(READY, self.left)
        self.ready[:] = self._slice(self.left - k, self.left)
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
                self._next_block()
            k = min(n - len(out), self.left)
            chunk = self._slice(self.left - k, self.left)
            chunk.reverse()
            out += chunk
            self.left -= k
        return out


class Draws:
    """Scalar draws with numpy's distributions, from one generator."""

    def __init__(self, rng: np.random.Generator) -> None:
        # what `rng.spawn(2)` would make, without making the generators before their first use
        normal_seed, uniform_seed = rng.bit_generator.seed_seq.spawn(2)  # type: ignore[attr-defined]
        self._normals = _Stream(normal_seed, normal=True)
        self._uniforms = _Stream(uniform_seed, normal=False)
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

    def triangular(self, low: float, mode: float, high: float) -> float:
        """Triangular on [low, high], most often `mode` (from one uniform, by its inverse)."""
        u = self.random()
        cut = (mode - low) / (high - low)
        if u < cut:
            return low + math.sqrt(u * (high - low) * (mode - low))
        return high - math.sqrt((1 - u) * (high - low) * (high - mode))

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
