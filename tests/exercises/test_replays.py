"""Replays run in worker processes: starting them never stops the event loop."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from typing import Any

from mewet.exercises.replays import BusyError, Replays


async def stalls(during: asyncio.Future[Any]) -> float:
    """The longest the loop went without running a 5 ms timer, until `during` is done."""
    worst = 0.0
    while not during.done():
        t0 = time.monotonic()
        await asyncio.sleep(0.005)
        worst = max(worst, time.monotonic() - t0 - 0.005)
    return worst


def test_the_first_replay_starts_its_workers_without_stopping_other_answers() -> None:
    async def main() -> tuple[int, float]:
        replays = Replays()
        try:
            first = asyncio.ensure_future(replays.run("key", sum, [1, 2, 3]))
            worst = await stalls(first)
            return first.result(), worst
        finally:
            replays.close()

    answer, worst = asyncio.run(main())
    assert answer == 6
    # the worker's start-up (a fresh interpreter importing the replay code) happens beside
    # the loop: the loop went on ticking
    assert worst < 0.2, worst


def test_a_replay_worker_that_dies_is_replaced_and_the_replay_answered() -> None:
    """A worker killed from outside (out of memory, say): the replay is tried once more on
    a new worker and answered, and the restart is counted for the health endpoint; a replay
    that kills its worker every time is a busy answer, and the next replay works."""

    async def main() -> tuple[str, str, int, int]:
        replays = Replays()
        try:
            assert await replays.run("warm", sum, [1]) == 1
            pool = await replays.start()
            for pid in list(pool._processes):
                os.kill(pid, signal.SIGKILL)
            answered = await replays.run("after", str, "answered")
            try:
                await replays.run("deadly", os._exit, 1)
                said = "answered"
            except BusyError as exc:
                said = str(exc)
            return answered, said, await replays.run("again", sum, [2, 3]), replays.restarts
        finally:
            replays.close()

    answered, said, again, restarts = asyncio.run(main())
    assert answered == "answered"
    assert "stopped twice" in said
    assert again == 5 and restarts == 3
