"""The live feed's plumbing: frames from other threads reach the loop whole and in order, and a
participant too slow to keep up is told so."""

from __future__ import annotations

import asyncio
import threading

from mewet.exercises.feed import Feed, Handoff
from mewet.exercises.frames import ClockFrame, Frame, LaggingFrame, SnapshotFrame


def clock(sim_s: float) -> ClockFrame:
    return ClockFrame(sim_s=sim_s, time="", speed=60, phase="running", end_s=86400)


def snapshot() -> SnapshotFrame:
    return SnapshotFrame(clock=clock(0), home={}, cases=[], actions=[], notes=[])


def test_items_put_from_many_threads_reach_the_loop_once_each_in_each_threads_order() -> None:
    async def main() -> tuple[list[tuple[int, int]], int]:
        got: list[tuple[int, int]] = []
        batches = 0

        def deliver(items: list[tuple[int, int]]) -> None:
            nonlocal batches
            batches += 1
            got.extend(items)

        handoff = Handoff(asyncio.get_running_loop(), deliver)

        def put_many(t: int) -> None:
            for i in range(20_000):
                handoff.put((t, i))

        threads = [threading.Thread(target=put_many, args=(t,)) for t in range(4)]
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads) or len(got) < 80_000:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # nothing more comes
        return got, batches

    got, batches = asyncio.run(main())
    assert len(got) == 80_000
    for t in range(4):
        assert [i for th, i in got if th == t] == list(range(20_000))
    assert batches < 80_000 / 10  # many items to a wake-up of the loop


def test_a_participant_who_cannot_keep_up_is_dropped_and_told_so_last() -> None:
    async def main() -> tuple[list[Frame], int]:
        feed = Feed(asyncio.get_running_loop())
        slow: asyncio.Queue[Frame] = asyncio.Queue(5)
        feed.join(slow, snapshot())
        for k in range(10):
            feed.post(clock(k))
        await asyncio.sleep(0.05)
        feed.post(clock(99))  # after it was dropped: not for it
        await asyncio.sleep(0.05)
        return [slow.get_nowait() for _ in range(slow.qsize())], len(feed.subscribers)

    frames, subscribers = asyncio.run(main())
    assert subscribers == 0
    assert isinstance(frames[-1], LaggingFrame) and len(frames) == 5
    assert [f.sim_s for f in frames if isinstance(f, ClockFrame)] == [0, 1, 2, 3]
