"""An exercise's live feed: who listens, and how its frames reach them.

Frames are made where the exercise runs (the runner's thread) and by the broker's feed (on
the event loop); listeners are asyncio queues read by WebSocket handlers on the event loop.
A `Feed` bound to a loop takes frames from any thread and hands them to the loop in batches,
in the order they were posted; without a loop (unit tests, batch tools) it delivers at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from mewet.contract import Message
from mewet.exercises.frames import Frame, LaggingFrame, MessageFrame, SnapshotFrame

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Join:
    queue: asyncio.Queue[Frame]
    snapshot: SnapshotFrame


class Handoff(Generic[T]):
    """Items put from any thread, handed to `deliver` on the event loop in batches, in the
    order they were put: one wake-up of the loop for many items (each wake-up is a system
    call on both sides, and thousands of messages a second arrive under load).

    No lock: a thread preempted while holding one makes the other wait for it and then for
    the interpreter again. A deque's append and popleft are atomic, and the flag is cleared
    before the deque is drained, so an item is either drained by a flush already scheduled
    or schedules one of its own."""

    def __init__(self, loop: asyncio.AbstractEventLoop, deliver: Callable[[list[T]], None]) -> None:
        self.loop = loop
        self.deliver = deliver
        self._pending: deque[T] = deque()
        self._scheduled = False

    def put(self, item: T) -> None:
        """Hand one item to the loop (from any thread)."""
        self._pending.append(item)
        if self._scheduled:
            return
        self._scheduled = True
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is listening
            self.loop.call_soon_threadsafe(self._flush)

    def _flush(self) -> None:
        self._scheduled = False
        pending = self._pending
        items = [pending.popleft() for _ in range(len(pending))]
        if items:
            self.deliver(items)


class Feed:
    """The participants of one exercise, each an asyncio queue of frames."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.subscribers: set[asyncio.Queue[Frame]] = set()
        self._handoff = None if loop is None else Handoff(loop, self._deliver_all)

    def post(self, frame: Frame) -> None:
        """Send a frame to every participant (from any thread)."""
        self._put(frame)

    def join(self, queue: asyncio.Queue[Frame], snapshot: SnapshotFrame) -> None:
        """A participant joins: the snapshot first, then every frame posted after it."""
        self._put(_Join(queue, snapshot))

    def leave(self, queue: asyncio.Queue[Frame]) -> None:
        """A participant leaves (on the event loop)."""
        self.subscribers.discard(queue)

    def _put(self, item: Frame | _Join) -> None:
        if self._handoff is None:
            self._deliver(item)
        else:
            self._handoff.put(item)

    def _deliver_all(self, items: list[Frame | _Join]) -> None:
        for item in items:
            self._deliver(item)

    def _deliver(self, item: Frame | _Join) -> None:
        if isinstance(item, _Join):
            item.queue.put_nowait(item.snapshot)
            self.subscribers.add(item.queue)
            return
        for queue in list(self.subscribers):
            try:
                queue.put_nowait(item)
            except asyncio.QueueFull:
                # a participant who cannot keep up is dropped: told so last (in place of the
                # oldest frame it holds), and given a fresh snapshot on reconnecting
                self.subscribers.discard(queue)
                queue.get_nowait()
                queue.put_nowait(LaggingFrame())


class LocalFeed:
    """A sink sending a home's messages straight to its participants (no broker between)."""

    def __init__(self, feed: Feed) -> None:
        self.feed = feed

    def publish(self, message: Message) -> None:
        """Send the message to the exercise's participants."""
        self.feed.post(MessageFrame.of(message))
