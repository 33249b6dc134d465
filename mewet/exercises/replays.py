"""Replays of exercises (the debrief, the home at an earlier moment, charts), in worker
processes and cached.

A replay runs the engine from the start: 0.17 s per simulated day, and charts take as long
again. Run on the API's event loop, or in a thread beside it (Python runs one thread at a
time), eight students asking for different moments of a day-long exercise slowed every other
answer. In a worker process it costs the API nothing but the wait of the one who asked;
answers are kept, so the same question is replayed once, and at most `QUEUE` replays wait:
past that, the API answers 429.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any, TypeVar

from mewet.errors import MewetError

T = TypeVar("T")
KEEP = 256  # answers kept
QUEUE = 32  # replays waiting for a worker at most


ADMIT: ContextVar[Callable[[], None] | None] = ContextVar("replay_admit", default=None)
"""Asked (in the asker's context) before a replay that is neither kept nor running already
starts: the API's limits per person; it raises to refuse. Answers kept cost nothing."""


class BusyError(MewetError):
    """Too many replays are waiting already: ask again in a moment."""


class Replays:
    """A pool of worker processes for replays, with the answers kept."""

    def __init__(self, workers: int = 1) -> None:
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None
        self._kept: OrderedDict[Hashable, Any] = OrderedDict()
        self._running: dict[Hashable, asyncio.Future[Any]] = {}
        self._starting: asyncio.Future[ProcessPoolExecutor] | None = None
        self._closed = False
        self.restarts = 0
        """How often a worker died and the pool was started again."""
        self.since = datetime.now(UTC)

    async def start(self) -> ProcessPoolExecutor:
        """The workers, started once, off the event loop: a forkserver's first process waits
        for the server to import the replay code (a quarter to half a second), and started
        from the first replay's request, on the loop, that wait stopped every answer."""
        starting = self._starting
        if starting is None or (
            starting.done() and (starting.cancelled() or starting.exception() is not None)
        ):  # not started, or starting failed: (again) now
            self._starting = starting = asyncio.ensure_future(asyncio.to_thread(self._start_pool))
        return await asyncio.shield(starting)

    def _start_pool(self) -> ProcessPoolExecutor:
        # forkserver: workers forked from a clean process, not from this one and its threads
        # (the broker's network thread, the exercises' runner)
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["mewet.exercises.debrief"])
        pool = ProcessPoolExecutor(self.workers, mp_context=context)
        pool.submit(int).result()  # a worker forked now
        if self._closed:  # closed meanwhile
            pool.shutdown(wait=False, cancel_futures=True)
        else:
            self._pool = pool
        return pool

    async def run(self, key: Hashable, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` in a worker, or the answer kept for `key`; concurrent askers of the
        same key share one run. BusyError when too many replays wait already. A worker that
        dies (killed, out of memory) is replaced and the replay tried once more."""
        try:
            return await self._run(key, fn, *args)
        except BrokenProcessPool:
            pass
        try:
            return await self._run(key, fn, *args)
        except BrokenProcessPool:  # this replay itself kills its worker (out of memory)
            raise BusyError("the replay worker stopped twice: ask again later") from None

    async def _run(self, key: Hashable, fn: Callable[..., T], *args: Any) -> T:
        pool = await self.start()
        if key in self._kept:
            self._kept.move_to_end(key)
            found: T = self._kept[key]
            return found
        running = self._running.get(key)
        if running is None:
            admit = ADMIT.get()
            if admit is not None:
                admit()
            if len(self._running) >= QUEUE:
                raise BusyError("too many replays are waiting: try again in a few seconds")
            loop = asyncio.get_running_loop()
            running = asyncio.ensure_future(loop.run_in_executor(pool, fn, *args))
            self._running[key] = running
            try:
                result = await asyncio.shield(running)
            except BrokenProcessPool:  # a worker died: a new pool for the next try
                self._forget(pool)
                raise
            finally:
                self._running.pop(key, None)
            self._kept[key] = result
            while len(self._kept) > KEEP:
                self._kept.popitem(last=False)
            return result
        shared: T = await asyncio.shield(running)
        return shared

    def _forget(self, pool: ProcessPoolExecutor) -> None:
        if self._pool is pool:
            self._pool, self._starting = None, None
            self.restarts += 1
            self.since = datetime.now(UTC)
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Stop the workers."""
        self._closed = True
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
