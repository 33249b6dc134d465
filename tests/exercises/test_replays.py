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


def test_a_replay_worker_that_dies_is_a_busy_answer_and_the_next_replay_works() -> None:
    async def main() -> tuple[str, int]:
        replays = Replays()
        try:
            assert await replays.run("warm", sum, [1]) == 1
            pool = await replays.start()
            for pid in list(pool._processes):  # killed from outside (out of memory, say)
                os.kill(pid, signal.SIGKILL)
            try:
                await replays.run("after", time.sleep, 0.5)
                said = "answered"
            except BusyError as exc:
                said = str(exc)
            return said, await replays.run("again", sum, [2, 3])
        finally:
            replays.close()

    said, again = asyncio.run(main())
    assert "ask again" in said
    assert again == 5
