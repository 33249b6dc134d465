"""Limits that keep one client from slowing or breaking the lab for everyone else.

Counters live in memory (one API process serves a lab), are bounded in size, and answer how
long to wait, which the API sends as `Retry-After` with a 429.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable

MAX_KEYS = 50_000  # addresses or accounts remembered at once; the oldest are forgotten first


class RateLimit:
    """At most `limit` events per `window_s` for each key (a sliding window)."""

    def __init__(
        self, limit: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.clock = clock
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def wait(self, key: str) -> float:
        """Count one event for `key`; 0 when allowed, else the seconds until one would be."""
        now = self.clock()
        times = self._seen.pop(key, None) or deque()
        while times and times[0] <= now - self.window_s:
            times.popleft()
        self._seen[key] = times  # most recent last
        if len(self._seen) > MAX_KEYS:
            self._seen.popitem(last=False)
        if len(times) >= self.limit:
            return times[0] + self.window_s - now
        times.append(now)
        return 0.0


class Lockout:
    """After `failures` wrong attempts in a row an account waits `lockout_s`; it counts
    accounts that do not exist as well, so a lockout says nothing about who has one."""

    def __init__(
        self, failures: int, lockout_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.failures = failures
        self.lockout_s = lockout_s
        self.clock = clock
        self._failed: OrderedDict[str, tuple[int, float]] = OrderedDict()

    def wait(self, key: str) -> float:
        """0 when the account may try now, else the seconds it must wait."""
        count, last = self._failed.get(key, (0, 0.0))
        if count < self.failures:
            return 0.0
        return max(0.0, last + self.lockout_s - self.clock())

    def failed(self, key: str) -> None:
        """One more wrong attempt (a wait that ran out starts the count again)."""
        count, last = self._failed.pop(key, (0, 0.0))
        now = self.clock()
        if count >= self.failures and now >= last + self.lockout_s:
            count = 0
        self._failed[key] = (count + 1, now)
        if len(self._failed) > MAX_KEYS:
            self._failed.popitem(last=False)

    def succeeded(self, key: str) -> None:
        """The right password: the count starts again."""
        self._failed.pop(key, None)


class Slots:
    """At most `size` slow jobs at once (password checks), and at most `queue`
    waiting for a turn: past that, callers are told to come back rather than pile up."""

    def __init__(self, size: int, queue: int) -> None:
        self._free = asyncio.Semaphore(size)
        self.queue = queue
        self.waiting = 0

    def full(self) -> bool:
        """Whether the queue is full (a new job would be refused)."""
        return self.waiting >= self.queue

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Wait for a free slot, hold it for the block."""
        self.waiting += 1
        try:
            await self._free.acquire()
        finally:
            self.waiting -= 1
        try:
            yield
        finally:
            self._free.release()
