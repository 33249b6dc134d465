"""Replays run in worker processes: starting them never stops the event loop."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from mewet.exercises.replays import Replays


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
