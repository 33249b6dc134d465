"""Periodic readings between the world's changes, without a SimPy event for each reading.

Most of a home's messages are periodic readings (plugs, vitals, the stove guard, climate,
heartbeats: about 7,300 of 7,500 a day in the default home), while only some 700 other SimPy
events happen in a day, most of them in bursts while the resident is up and about. A reading
depends only on the world and on its own device, and the world changes only when a SimPy
event is processed. So every reading due before the next scheduled event can be taken at
once. One process, `Readings`, does this for every periodic reading of a home, in two ways:

- **in bulk**, for devices that say their readings are *steady* (`Device.steady`: they
  change nothing but the device itself, no event, no state, no world), up to the next
  reading of a device that is not (until then, that one cannot change the world either).
  Each device computes its stretch's readings in one loop of its own (`many`: no SimPy
  event, no call of its `measure`, the world looked up once), and the messages go to the
  sink in time order. Stretches are at most `STRETCH_S` long.
- **one by one** for a device that is not steady (a plug switching on, the stove guard
  watching a hot hob): the clock skips to the reading's time, the reading is taken as its
  own timeout would have taken it, and the process hands over to SimPy as soon as a reading
  changed the world.

A device reports every `period` seconds of its own clock (the nominal period give or take 2%,
drawn once: a device's timer runs a little fast or slow, and devices switched on together do
not report in step), the first at a random point of the first period. The timer counts whole
microseconds, and a reading's time stamp is the first one's plus so many ticks (`Stream`), so
readings are stamped exactly a period apart. Each device keeps its own draws, and a reading
takes them in the same order either way: the same seed gives the same readings however the
run is cut into stretches (`tests/sim/test_readings.py` checks them against a SimPy process per
device, message for message, and a run in steps against a run in one go).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from contextlib import suppress
from datetime import datetime, timedelta
from heapq import heapify, heappop, heappush, heapreplace
from typing import Any, Protocol

import simpy

from mewet.contract import Message

Measure = Callable[[], dict[str, float]]
Times = list[float]
Rows = list[dict[str, float]]
Many = Callable[[Times], Rows]
Reading = tuple[float, int, Message, Callable[[Message], None]]
"""A reading taken in bulk: its time, its stream's order, the message, and where it goes."""


class Uniform(Protocol):
    """A source of uniform draws on [0, 1)."""

    def random(self) -> float:
        """The next draw."""
        ...


class Reporter(Protocol):
    """What `Readings` needs of a device with periodic readings (`mewet.devices.base.Device`)."""

    alive: bool

    @property
    def draw(self) -> Uniform:
        """Where the device's own uniform draws come from."""
        ...

    def stamp(self, t: float) -> datetime:
        """The device's time stamp at sim time `t`."""
        ...

    def steady(self, until: float) -> bool:
        """Whether its readings up to `until` may be taken in bulk."""
        ...

    def readings(self, stream: Stream, times: Times, rows: Rows, out: list[Reading]) -> None:
        """The messages of the stream's readings at `times`, added to `out`."""
        ...

    def telemetry(self, data: dict[str, float], stamp: datetime | None = None) -> None:
        """Send one reading now."""
        ...


STRETCH_S = 3600.0
"""The longest stretch taken in bulk: a quiet night goes to the sink an hour at a time."""


class SimEnvironment(simpy.Environment):
    """A SimPy environment whose clock can skip ahead through a stretch where nothing is due."""

    def __init__(self) -> None:
        super().__init__()
        self.horizon = math.inf
        """Where `advance` stops: nothing may be taken or skipped to from there on."""

    def skip_to(self, t: float) -> bool:
        """Move the clock on to `t` if no event is scheduled until then (inclusive).

        Returns whether it did: with an event due first, or at `t` itself, the clock stays
        and the caller must wait for `t` with a timeout like any process.
        """
        if t < self._now:
            raise ValueError(f"the clock cannot go back from {self._now} to {t}")
        queue = self._queue
        if (queue and queue[0][0] <= t) or t >= self.horizon:
            return False
        self._now = t
        return True

    def next_due(self) -> float:
        """The time of the next event, or the horizon of `advance` if that comes first."""
        queue = self._queue
        return min(queue[0][0], self.horizon) if queue else self.horizon

    def advance(self, until: float) -> None:
        """What `run(until)` does, without its stop event and the exception that stops it:
        every event before `until` processed, the clock at `until`. A fleet steps thousands
        of homes a few events at a time, where that machinery was most of the cost."""
        if until <= self._now:
            return
        self.horizon = until
        queue, step = self._queue, self.step
        try:
            while queue and queue[0][0] < until:
                step()
        finally:
            self.horizon = math.inf
        self._now = until


class Stream:
    """The periodic readings of one device: when they fall, how each is taken, its time stamps.

    A device's timer counts whole microseconds, as a device clock does: reading `k` falls at
    `first + k * period` and is stamped `stamp + k * tick`, in exact integer arithmetic (a
    `timedelta` built from a float per reading would cost more than the rest of its stamp).
    """

    __slots__ = ("device", "first", "index", "many", "measure", "order", "period", "stamp", "tick")

    def __init__(
        self,
        device: Reporter,
        first: float,
        period_us: int,
        measure: Measure,
        many: Many | None,
        order: int,
    ) -> None:
        self.device = device
        self.first = first
        self.period = period_us / 1e6
        self.index = 0  # of the next reading
        self.measure = measure
        self.many = many
        self.order = order
        self.stamp = device.stamp(first)
        self.tick = timedelta(0, 0, period_us)

    @classmethod
    def draw(
        cls,
        device: Reporter,
        now: float,
        period_s: float,
        measure: Measure,
        many: Many | None,
        order: int,
    ) -> Stream:
        """A device's readings from `now` on, every `period_s` of its own clock: the first at a
        random point of the first period, the period off by up to 2% (its timer's own)."""
        first = now + period_s * device.draw.random()
        period_us = round(period_s * (0.98 + 0.04 * device.draw.random()) * 1e6)
        return cls(device, first, period_us, measure, many, order)

    def due(self) -> float:
        """When the next reading falls."""
        return self.first + self.index * self.period

    def stamp_of(self, index: int) -> datetime:
        """The device's time stamp of reading `index`."""
        return self.stamp + self.tick * index

    def times_before(self, until: float) -> Times:
        """The times of the readings still to come before `until`."""
        first, period, index = self.first, self.period, self.index
        times = []
        t = first + index * period
        while t < until:
            times.append(t)
            index += 1
            t = first + index * period
        return times


class Readings:
    """Every periodic reading of one home, taken in time order by one process."""

    def __init__(self, env: SimEnvironment) -> None:
        self.env = env
        self.bulk = True
        """Take steady stretches in bulk; False takes every reading one by one."""
        self.taken_in_bulk = 0
        """How many readings were taken in bulk (the rest one by one)."""
        self._due: list[tuple[float, int, Stream]] = []  # (due, order, stream)
        self._added = 0
        self._process: simpy.Process | None = None
        self._asleep_until: float | None = None

    def add(
        self, device: Reporter, period_s: float, measure: Measure, many: Many | None = None
    ) -> None:
        """Send `device.telemetry(measure())` every `period_s` seconds (give or take 2%).

        `many(times)`, where given, computes the readings at several times at once, as
        `measure` would at each of them, for stretches where the device is steady. A device's
        readings stop when it dies.
        """
        stream = Stream.draw(device, float(self.env.now), period_s, measure, many, self._added)
        first = stream.first
        heappush(self._due, (first, stream.order, stream))
        self._added += 1
        if self._process is None or not self._process.is_alive:  # the first, or all had died
            self._process = self.env.process(self._run())
        elif self._asleep_until is not None and first < self._asleep_until:
            self._asleep_until = None
            self._process.interrupt("an earlier reading")

    def _run(self) -> Generator[simpy.Event, Any, None]:
        """Take readings in time order; hand over to SimPy whenever another event comes first.

        The engine's hot loop: a resident-year is millions of readings through here.
        """
        env, due_list = self.env, self._due
        while due_list:
            due, order, stream = due_list[0]
            if due > env.now and not env.skip_to(due):  # something else happens first
                self._asleep_until = due
                with suppress(simpy.Interrupt):  # a reading was added that is due sooner
                    yield env.timeout(due - env.now)
                self._asleep_until = None
                continue  # look at the first reading afresh: one may have been added meanwhile
            device = stream.device
            if not device.alive:
                heappop(due_list)
                continue
            if self.bulk:
                until = self._steady_until(min(env.next_due(), env.now + STRETCH_S))
                if due < until:
                    self._take_stretch(until)
                    continue
            device.telemetry(stream.measure(), stream.stamp_of(stream.index))
            stream.index += 1
            heapreplace(due_list, (stream.due(), order, stream))

    def _steady_until(self, until: float) -> float:
        """How far readings can be taken in bulk, up to `until`: to the next reading of a
        device that is not steady (until then it cannot change the world either)."""
        end = until
        for due, _, stream in self._due:
            if due < end:
                device = stream.device
                if stream.many is None or not device.alive or not device.steady(until):
                    end = due
        return end

    def _take_stretch(self, until: float) -> None:
        """Take every reading due before `until` in bulk, and send them on in time order."""
        out: list[Reading] = []
        last = self.env.now
        for due, _, stream in self._due:
            if due < until:
                times = stream.times_before(until)
                assert stream.many is not None  # `_steady_until` checked
                stream.device.readings(stream, times, stream.many(times), out)
                stream.index += len(times)
                self.taken_in_bulk += len(times)
                last = max(last, times[-1])
        self._due[:] = [(s.due() if due < until else due, o, s) for due, o, s in self._due]
        heapify(self._due)
        out.sort()  # by time, then by order of adding: never further
        for _, _, message, publish in out:
            publish(message)
        self.env.skip_to(last)  # where taking them one by one would have left the clock
