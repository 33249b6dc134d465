"""Where a server's exercises run: on the server itself, or on its workers (a front).

A front (`mewet api` and `mewet up` with workers, `lab/workers.py`) runs no exercise: it
waits for its workers as it starts, and places each new exercise on the one that runs fewest.
A server that runs exercises takes, each time it renews its leases, its share of those whose
server has stopped (`leases.py`).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from urllib.parse import urlsplit

from mewet.exercises.db import AppDb
from mewet.exercises.errors import NoWorkerError
from mewet.exercises.leases import RENEW_S, Leases
from mewet.texts import said

log = logging.getLogger(__name__)


class Placement:
    """One server's leases, and its workers if it is a front."""

    def __init__(self, db: AppDb, server_url: str = "", workers: list[str] | None = None) -> None:
        self.workers = workers
        """A front's workers (their addresses): they run its exercises, it runs none."""
        self.leases = Leases(db, server_url, hosts=workers is None)
        self._elsewhere: dict[int, tuple[str, float]] = {}

    def remember(self, exercise: int, url: str) -> None:
        """Another server runs the exercise (for the next `RENEW_S`: a lease moves no
        sooner), so the next request about it goes there without asking the database."""
        self._elsewhere[exercise] = (url, time.monotonic() + RENEW_S)
        if len(self._elsewhere) > 10_000:  # ended long ago, most of them
            now = time.monotonic()
            self._elsewhere = {k: v for k, v in self._elsewhere.items() if v[1] > now}

    def known(self, exercise: int) -> str | None:
        """The server that ran the exercise a moment ago, if it is another."""
        found = self._elsewhere.get(exercise)
        return found[0] if found is not None and found[1] > time.monotonic() else None

    def forget(self, exercise: int) -> None:
        """Its server did not answer: ask the database next time."""
        self._elsewhere.pop(exercise, None)

    @property
    def front(self) -> bool:
        """Whether this server is a front, whose workers run its exercises."""
        return self.workers is not None

    async def workers_up(self, within_s: float = 60.0) -> None:
        """Wait (a minute at most) until this front's workers are up: each said it is alive
        and takes connections. A front that answered before them would refuse new exercises."""
        deadline = asyncio.get_running_loop().time() + within_s
        waiting = set(self.workers or [])
        while waiting and asyncio.get_running_loop().time() < deadline:
            load = await asyncio.to_thread(self.leases.load)
            for url in [w for w in waiting if w in load]:
                split = urlsplit(url)
                try:
                    _, writer = await asyncio.open_connection(split.hostname, split.port)
                except OSError:
                    continue
                writer.close()
                waiting.discard(url)
            await asyncio.sleep(0.2)
        if waiting:
            log.error("workers not up after %g s: %s", within_s, ", ".join(sorted(waiting)))

    async def place(self) -> str:
        """The worker to run an exercise: the one of this front's that runs fewest
        (NoWorkerError: none is up)."""
        load = await asyncio.to_thread(self.leases.load)
        alive = [w for w in self.workers or [] if w in load]
        if not alive:
            raise NoWorkerError(said("no_worker"))
        return min(alive, key=lambda w: load[w])

    def share(self) -> list[int]:
        """The free exercises this server takes over now: its share of them (the servers
        that run exercises each take theirs, at random, so that they end up even)."""
        free = self.leases.free()
        if not free:
            return []
        servers = len(self.leases.peers(hosting=True)) + 1
        return random.sample(free, -(-len(free) // servers))
