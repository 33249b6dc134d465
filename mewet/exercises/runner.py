"""The thread that runs every live exercise of a server, off the event loop.

The API's event loop serves every request; simulating twenty homes at speed 3600 on it froze
every answer for tens of seconds. So the homes run here, on one thread of their own, each in
turn for at most `budget_s` of wall time, and whatever the API asks of an exercise (an
action, a control, a note, a snapshot) is a call run on this thread between two turns. The
exercises are touched by this thread only, so they need no locks, and an answer waits for one
turn at the most.

Python runs one thread at a time (the GIL), and a thread that wants it back waits for the
holder's switch interval (5 ms). So turns are short (5 ms), and before each the thread looks
at the event loop's heartbeat: while it is overdue the loop has work waiting, and the thread
sleeps (up to 50 ms a turn) to let it have the interpreter. Under more load than the machine
can carry, the fastest exercises fall behind their clocks, not the API's answers
(`make bench-api` (a): 20 exercises at speed 3600 with 100 clients, p99 65-68 ms with giving
way, 123-138 ms without).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from mewet.exercises.live import Exercise

log = logging.getLogger(__name__)
T = TypeVar("T")
IDLE_S = 0.05  # how long the thread rests when every exercise has caught up with its clock
BEAT_S = 0.01  # the event loop's heartbeat
LATE_S = 0.005  # a heartbeat this much overdue: the loop has work waiting, the runner gives way
GIVE_WAY_S = 0.05  # the longest the runner gives way before a turn


class Runner:
    """Runs live exercises a turn at a time on its own thread, and calls made for the API."""

    def __init__(self, budget_s: float = 0.005) -> None:
        self.budget_s = budget_s
        self._exercises: dict[int, tuple[Exercise, Callable[[Exercise], None]]] = {}
        self._calls: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._stopping = False
        self.heartbeat: float | None = None
        """When the event loop last ran its heartbeat (None: no loop beats for us)."""
        self.gave_way_s = 0.0
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

    async def beat(self) -> None:
        """The event loop's heartbeat (a task on the loop, until cancelled): while it is
        overdue, the loop has work waiting and the runner gives way to it."""
        try:
            while True:
                self.heartbeat = time.monotonic()
                await asyncio.sleep(BEAT_S)
        finally:
            self.heartbeat = None

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

    def remove(self, exercise_id: int) -> None:
        """Run the exercise no more (on this thread: `submit` it)."""
        self._exercises.pop(exercise_id, None)

    # -- the thread ----------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping:
            self._answer()
            behind = False
            for ex_id in list(self._exercises):
                self._give_way()
                self._answer()
                behind |= self._turn(ex_id)
            if not behind:
                self._wake.wait(IDLE_S)
                self._wake.clear()
        self._answer()

    def _turn(self, ex_id: int) -> bool:
        """One turn of an exercise (its own function: no local of this thread's loop keeps
        an exercise removed alive); whether it is behind."""
        found = self._exercises.get(ex_id)
        if found is None:  # removed by a call just answered
            return False
        exercise, ended = found
        behind = False
        try:
            behind = exercise.turn(self.budget_s)
        except Exception:  # one broken exercise must not stop the others
            log.exception("exercise %d failed; it is ended", ex_id)
            exercise.finish()
        if exercise.phase == "ended":
            del self._exercises[ex_id]
            ended(exercise)
        return behind

    def _give_way(self) -> None:
        """Wait (up to `GIVE_WAY_S`) while the event loop is behind with its own work: the
        homes would take all the time the interpreter gives them."""
        start = now = time.monotonic()
        while (
            (beat := self.heartbeat) is not None
            and now - beat > BEAT_S + LATE_S
            and now - start < GIVE_WAY_S
            and not self._stopping
        ):
            time.sleep(0.001)
            now = time.monotonic()
        self.gave_way_s += now - start

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
