"""An exercise's live feed: who listens, and how its frames reach them.

Frames are made where the exercise runs (the runner's thread) and by the broker's feed (on
the event loop); listeners are asyncio queues read by WebSocket handlers on the event loop.
A `Feed` bound to a loop takes frames from any thread and hands them to the loop in batches,
in the order they were posted; without a loop (unit tests, batch tools) it delivers at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from dataclasses import dataclass

from mewet.contract import Message
from mewet.exercises.frames import Frame, LaggingFrame, MessageFrame, SnapshotFrame


@dataclass(frozen=True, slots=True)
class _Join:
    queue: asyncio.Queue[Frame]
    snapshot: SnapshotFrame


class Feed:
    """The participants of one exercise, each an asyncio queue of frames."""

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self.loop = loop
        self.subscribers: set[asyncio.Queue[Frame]] = set()
        self._lock = threading.Lock()
        self._pending: list[Frame | _Join] = []
        self._scheduled = False

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
        if self.loop is None:
            self._deliver(item)
            return
        with self._lock:
            self._pending.append(item)
            if self._scheduled:
                return
            self._scheduled = True
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is listening
            self.loop.call_soon_threadsafe(self._flush)

    def _flush(self) -> None:
        with self._lock:
            items, self._pending = self._pending, []
            self._scheduled = False
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
                # a participant who cannot keep up is dropped, and gets a fresh snapshot on
                # reconnecting
                self.subscribers.discard(queue)
                with contextlib.suppress(asyncio.QueueFull):
                    queue.put_nowait(LaggingFrame())


class LocalFeed:
    """A sink sending a home's messages straight to its participants (no broker between)."""

    def __init__(self, feed: Feed) -> None:
        self.feed = feed

    def publish(self, message: Message) -> None:
        """Send the message to the exercise's participants."""
        self.feed.post(MessageFrame.of(message))
