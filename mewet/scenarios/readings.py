"""Periodic readings between the world's changes, without a SimPy event for each reading.

Most of a home's messages are periodic readings (plugs, vitals, the stove guard, climate,
heartbeats: about 7,300 of 7,500 a day in the default home), while only some 700 other SimPy
events happen in a day, most of them in bursts while the resident is up and about. A reading
depends only on the world and on its own device, and the world changes only when a SimPy
event is processed. So between two scheduled events every reading due in that stretch can be
taken at once: the clock skips to each reading's time (nothing else can happen before it) and
the reading is taken exactly as its own timeout would have taken it. One process, `Readings`,
does this for every periodic reading of a home; it yields to SimPy only when something else is
due first, or when a reading itself changed the world (the stove guard cutting the power
schedules the world's announcement at once).

Each device keeps its own draws, in the same order as a process per device would use them:
the same seed gives the same readings (`tests/test_readings.py` checks them against a process
per device, message for message).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from contextlib import suppress
from heapq import heappop, heappush, heapreplace
from typing import TYPE_CHECKING, Any

import simpy

if TYPE_CHECKING:
    from mewet.devices.base import Device

Measure = Callable[[], dict[str, float]]


class SimEnvironment(simpy.Environment):
    """A SimPy environment whose clock can skip ahead through a stretch where nothing is due."""

    def skip_to(self, t: float) -> bool:
        """Move the clock on to `t` if no event is scheduled until then (inclusive).

        Returns whether it did: with an event due first, or at `t` itself, the clock stays
        and the caller must wait for `t` with a timeout like any process.
        """
        if t < self._now:
            raise ValueError(f"the clock cannot go back from {self._now} to {t}")
        queue = self._queue
        if queue and queue[0][0] <= t:
            return False
        self._now = t
        return True


class Readings:
    """Every periodic reading of one home, taken in time order by one process."""

    def __init__(self, env: SimEnvironment) -> None:
        self.env = env
        # (due, order, device, period, measure): order breaks ties in the order of adding
        self._due: list[tuple[float, int, Device, float, Measure]] = []
        self._added = 0
        self._process: simpy.Process | None = None
        self._asleep_until: float | None = None

    def add(self, device: Device, period_s: float, measure: Measure) -> None:
        """Send `device.telemetry(measure())` every `period_s` seconds (give or take 2%).

        The first reading comes at a random point of the first period, so devices switched
        on together do not all report at once. A device's readings stop when it dies.
        """
        due = float(self.env.now) + period_s * device.draw.random()
        heappush(self._due, (due, self._added, device, period_s, measure))
        self._added += 1
        if self._process is None or not self._process.is_alive:  # the first, or all had died
            self._process = self.env.process(self._run())
        elif self._asleep_until is not None and due < self._asleep_until:
            self._asleep_until = None
            self._process.interrupt("an earlier reading")

    def _run(self) -> Generator[simpy.Event, Any, None]:
        """Take readings in time order; hand over to SimPy whenever another event comes first.

        The engine's hot loop: a resident-year is millions of readings through here.
        """
        env, due_list = self.env, self._due
        while due_list:
            due, order, device, period, measure = due_list[0]
            if due > env.now and not env.skip_to(due):  # something else happens first
                self._asleep_until = due
                with suppress(simpy.Interrupt):  # a reading was added that is due sooner
                    yield env.timeout(due - env.now)
                self._asleep_until = None
                continue  # look at the first reading afresh: one may have been added meanwhile
            if not device.alive:
                heappop(due_list)
                continue
            device.telemetry(measure())
            jitter = 0.98 + 0.04 * device.draw.random()
            heapreplace(due_list, (due + period * jitter, order, device, period, measure))
