"""The thread that runs every live exercise of a server, off the event loop.

The API's event loop serves every request; simulating twenty homes at speed 3600 on it froze
every answer for tens of seconds. So the homes run here, on one thread of their own, each in
turn for at most `budget_s` of wall time, and whatever the API asks of an exercise (an
action, a control, a note, a snapshot) is a call run on this thread between two turns. The
exercises are touched by this thread only, so they need no locks, and an answer waits for one
turn at the most.

Python runs one thread at a time (the GIL): the event loop gets it back within the
interpreter's switch interval (5 ms) whenever it has work, which keeps answers fast while
the homes run (`make bench-api` measures it).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from mewet.exercises.live import Exercise

log = logging.getLogger(__name__)
T = TypeVar("T")
IDLE_S = 0.05  # how long the thread rests when every exercise has caught up with its clock


class Runner:
    """Runs live exercises a turn at a time on its own thread, and calls made for the API."""

    def __init__(self, budget_s: float = 0.02) -> None:
        self.budget_s = budget_s
        self._exercises: dict[int, tuple[Exercise, Callable[[Exercise], None]]] = {}
        self._calls: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="mewet-exercises", daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        """Stop after the turn in hand (calls still waiting are run first)."""
        self._stopping = True
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        """Run `fn` on the runner's thread between two turns; its result or error."""
        done: Future[T] = Future()
        if not self._thread.is_alive():  # not started (or stopped): run it here
            try:
                done.set_result(fn())
            except BaseException as exc:
                done.set_exception(exc)
            return done
        self._calls.put((fn, done))
        self._wake.set()
        return done

    async def call(self, fn: Callable[[], T]) -> T:
        """`submit`, awaited on the event loop."""
        return await asyncio.wrap_future(self.submit(fn))

    def add(self, exercise: Exercise, ended: Callable[[Exercise], None]) -> None:
        """Run `exercise` from its next turn on; `ended(exercise)` when it has ended (on this
        thread: hand anything slow on)."""
        self.submit(lambda: self._exercises.__setitem__(exercise.id, (exercise, ended)))

    # -- the thread ----------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping:
            self._answer()
            behind = False
            for ex_id, (exercise, ended) in list(self._exercises.items()):
                self._answer()
                try:
                    behind |= exercise.turn(self.budget_s)
                except Exception:  # one broken exercise must not stop the others
                    log.exception("exercise %d failed; it is ended", ex_id)
                    exercise.finish()
                if exercise.phase == "ended":
                    del self._exercises[ex_id]
                    ended(exercise)
            if not behind:
                self._wake.wait(IDLE_S)
                self._wake.clear()
        self._answer()

    def _answer(self) -> None:
        """Run every call waiting."""
        while True:
            try:
                fn, done = self._calls.get_nowait()
            except queue.Empty:
                return
            if not done.set_running_or_notify_cancel():
                continue
            try:
                done.set_result(fn())
            except BaseException as exc:
                done.set_exception(exc)
