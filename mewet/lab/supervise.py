"""The lab's own parts kept running: `mewet up` watches its child processes (the broker and
ingest) and starts one again when it dies, with a growing pause between tries.

Nothing is lost while a part is down: ingest's session is persistent, so the broker keeps
what it has not acknowledged, and Mosquitto keeps its sessions on disk, so a broker started
again has them back. What a part cannot do while it is down is said, to the person at the
console and to everyone on the health endpoint (`GET /api/health`): the teacher's console and
a company's device page show when the store is behind.
"""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)
"""Pauses before each new try; a part that died again soon after its start waits longer."""
STEADY_S = 60.0
"""A part that ran this long before it died starts its pauses from the first again."""

PartState = Literal["running", "restarting", "stopped"]


def stop_child(child: subprocess.Popen[bytes], timeout_s: float = 60.0) -> None:
    """Stop a child as Ctrl-C would (SIGTERM), and wait for it to finish what it holds; kill
    it if it lingers."""
    if child.poll() is None:
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout_s)
        except subprocess.TimeoutExpired:
            child.kill()


@dataclass(frozen=True, slots=True)
class PartHealth:
    """How one part of the lab is, as the health endpoint shows it."""

    name: str
    state: PartState
    restarts: int
    since: datetime
    last_exit: int | None

    def as_json(self) -> dict[str, Any]:
        """The part for the health endpoint."""
        return {
            "name": self.name,
            "state": self.state,
            "restarts": self.restarts,
            "since": self.since.isoformat(),
            "last_exit": self.last_exit,
        }


class Part:
    """One child process: `start` starts it and returns it, `stop` stops it in order."""

    def __init__(
        self,
        name: str,
        start: Callable[[], subprocess.Popen[bytes]],
        stop: Callable[[subprocess.Popen[bytes]], None],
        say: Callable[[str], Any],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self._start = start
        self._stop = stop
        self.say = say
        self.clock = clock
        self.proc: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self.last_exit: int | None = None
        self._failures = 0  # deaths soon after a start, in a row
        self._started_at = 0.0
        self._retry_at: float | None = None
        self._since = datetime.now(UTC)
        self._stopped = False

    def start(self) -> Part:
        """The first start: a failure here is the caller's to say (the lab does not come up)."""
        self.proc = self._start()
        self._started_at = self.clock()
        return self

    def adopt(self, proc: subprocess.Popen[bytes] | None) -> Part:
        """Watch a process started already (its first start was the caller's)."""
        self.proc = proc
        self._started_at = self.clock()
        return self

    def check(self) -> None:
        """Start the part again if it died and its pause is over."""
        if self._stopped:
            return
        now = self.clock()
        if self._retry_at is None:
            if self.proc is None or self.proc.poll() is None:
                return
            self.last_exit = self.proc.returncode
            steady = now - self._started_at >= STEADY_S
            self._failures = 1 if steady else self._failures + 1
            self._schedule(now, f"{self.name} stopped (exit code {self.last_exit})")
            return
        if now < self._retry_at:
            return
        try:
            self.proc = self._start()
        except Exception as exc:  # any failure to start is said and tried again
            self._failures += 1
            self._schedule(now, f"{self.name} could not start again ({exc})")
            return
        self._retry_at = None
        self._started_at = now
        self.restarts += 1
        self._since = datetime.now(UTC)
        self.say(f"{self.name} is running again (restart {self.restarts})")

    def _schedule(self, now: float, what: str) -> None:
        pause = BACKOFF_S[min(self._failures, len(BACKOFF_S)) - 1]
        self._retry_at = now + pause
        self._since = datetime.now(UTC)
        self.say(f"{what}; starting it again in {pause:g} s")

    def stop(self) -> None:
        """Stop it for good (the lab is stopping)."""
        self._stopped = True
        if self.proc is not None:
            self._stop(self.proc)
        self._since = datetime.now(UTC)

    @property
    def running(self) -> bool:
        """Whether its process is alive now."""
        return self.proc is not None and self.proc.poll() is None

    def health(self) -> PartHealth:
        """Its state now."""
        state: PartState = "stopped" if self._stopped else "running"
        if not self._stopped and (self._retry_at is not None or not self.running):
            state = "restarting"
        return PartHealth(self.name, state, self.restarts, self._since, self.last_exit)


class Supervisor:
    """Checks every part twice a second on a thread of its own."""

    def __init__(self, *parts: Part, every_s: float = 0.5) -> None:
        self.parts = list(parts)
        self.every_s = every_s
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mewet-supervisor", daemon=True)

    def start(self) -> Supervisor:
        """Start watching."""
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._done.wait(self.every_s):
            for part in self.parts:
                part.check()

    def halt(self) -> None:
        """Stop watching (before the parts are stopped, so none is started again)."""
        self._done.set()
        if self._thread.is_alive():
            self._thread.join(5)

    def health(self) -> list[PartHealth]:
        """Every part's state now."""
        return [part.health() for part in self.parts]
