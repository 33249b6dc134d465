"""Fleets: many homes in one process, for companies that load-test their platform.

Home `k` of a fleet of `N` is the home file's home with the id `<home>-<k>` (numbered from 1,
zero-padded to the width of N) and the seed `k`, so a fleet is the same on every run and
`--shard i/n` splits it over processes or machines without two shards ever making the same
home: shard `i` takes the homes `k` with `(k - 1) % n == i - 1`.

All homes of a process share one broker connection (thousands of connections would cost the
broker more than the messages do) and one loop: every tick (a tenth of a second), the homes
with something due run up to the wall clock's sim time, so a message leaves about a tick after
its moment. The sink keeps how late each message left, which is what `bench/fleet.py`
reports.
"""

from __future__ import annotations

import asyncio
import gc
import math
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from heapq import heapreplace

from mewet.config import Settings
from mewet.contract import Event, Message, Telemetry
from mewet.errors import ConfigError
from mewet.scenarios.homesim import HomeSim
from mewet.sim.clock import SimClock
from mewet.sim.home import Home
from mewet.transport.client import MqttLink

MAX_HOMES = 100_000
STARTS_PER_S = 50.0
"""Homes a fleet switches on per second of wall time, by default."""
_SHARD_RE = re.compile(r"^(\d+)/(\d+)$")


@dataclass(frozen=True, slots=True)
class Shard:
    """Which part of a fleet this process runs: `index` of `count`, from 1."""

    index: int = 1
    count: int = 1

    @classmethod
    def parse(cls, text: str) -> Shard:
        """`2/4`: the second of four shards."""
        found = _SHARD_RE.fullmatch(text.strip())
        if found is None or not 1 <= int(found[1]) <= int(found[2]):
            raise ConfigError(f"--shard {text}: use i/n with 1 <= i <= n, e.g. 1/4")
        return cls(int(found[1]), int(found[2]))

    def numbers(self, homes: int) -> range:
        """The home numbers (from 1) this shard runs."""
        return range(self.index, homes + 1, self.count)


class FleetSink:
    """One connection for every home; counts what was sent and, once timed, how late."""

    def __init__(self, link: MqttLink) -> None:
        self.link = link
        self.clock: SimClock | None = None
        self._began = 0.0
        self.messages = 0
        self.late = 0
        """Messages that left more than a second after their moment (at speed > 0)."""
        self.worst_s = 0.0

    def timed_by(self, clock: SimClock) -> None:
        """From now on, note how late each message leaves by `clock`, which starts now."""
        self.clock = clock
        self._began = time.monotonic()

    def publish(self, message: Message) -> None:
        """Send one message on the shared connection and note how late it left (topic names
        are not cached: for 10,000 homes the cache alone took 150 MB)."""
        self.link.publish(str(message.topic), message.encode(), retain=message.retain)
        self.messages += 1
        clock = self.clock
        p = message.payload
        if clock is not None and clock.speed > 0 and isinstance(p, Telemetry | Event):
            due = self._began + (p.ts - clock.start).total_seconds() / clock.speed
            late = time.monotonic() - due
            self.worst_s = max(self.worst_s, late)
            if late > 1.0:
                self.late += 1


class Fleet:
    """`homes` copies of a home (this shard's part of them), publishing through one sink.

    The homes switch on one after the other, `starts_per_s` a second of wall time: a real
    fleet does not power up in one second, and ten thousand homes' start-up messages at once
    (92 a home: every device's status, meta, state and first readings) took the broker two
    minutes to swallow while every reading waited behind them. Home `i` of this process (from
    0) switches on `i / starts_per_s` wall seconds in, its clock starting that much later.
    """

    def __init__(
        self,
        settings: Settings,
        home: Home,
        homes: int,
        start: datetime,
        shard: Shard = Shard(),
        *,
        speed: float = 1.0,
        starts_per_s: float = STARTS_PER_S,
    ) -> None:
        if not 1 <= homes <= MAX_HOMES:
            raise ConfigError(f"--homes {homes}: from 1 to {MAX_HOMES}")
        if not 0 <= starts_per_s < math.inf:
            raise ConfigError(f"--starts-per-s {starts_per_s}: 0 (all at once) or more")
        self.start = start
        self.speed = speed
        gap = speed / starts_per_s if speed > 0 and starts_per_s > 0 else 0.0
        width = len(str(homes))
        self.link = MqttLink(
            settings.mqtt(),
            f"mewet-fleet-{home.id}-{shard.index}of{shard.count}-{time.monotonic_ns() % 10**6}",
            backlog=settings.publish_backlog,
            batched=True,  # it pumps every 64 homes stepped
        )
        self.sink = FleetSink(self.link)
        self.offsets = [i * gap for i in range(len(shard.numbers(homes)))]
        """Sim seconds from the fleet's start to each home's switching on."""
        self.sims = [
            HomeSim(
                home.model_copy(update={"id": f"{home.id}-{k:0{width}d}"}),
                self.sink,
                k,
                start + timedelta(seconds=offset),
                settings.topic_root,
            )
            for k, offset in zip(shard.numbers(homes), self.offsets, strict=True)
        ]
        self.switched_on = 0

    def connect(self) -> Fleet:
        """Connect the shared link (TransportError when the broker is not there)."""
        self.link.connect()
        return self

    async def run(self, length_s: float, tick_s: float = 0.1) -> None:
        """Every home live at the fleet's speed for `length_s` sim seconds.

        Each tick steps only the homes with something due by the wall clock's sim time, in
        the order their next events fall (a heap of them), with `HomeSim.advance`: a home of
        the default kind has an event every eight seconds or so (its readings are taken in
        bulk in between), so a short tick leaves most homes alone, and a message leaves about
        a tick after its moment however many homes there are.
        """
        # Ten thousand homes are fifteen million objects: one full collection of the garbage
        # collector walked them all for 7.6 s, every message waiting, and on its own schedule
        # its young generations grew to 235,000 objects (old objects freed count against new
        # ones) and took 0.3 s each. So the homes are kept out of its way (they live as long as
        # the fleet) and it runs by hand: the youngest generation after every tick, survivors
        # frozen every 5 s. Measured without the broker: the longest tick went from 463 to
        # 13 ms, memory grew the same.
        gc.freeze()
        collecting = gc.isenabled()
        gc.disable()
        try:
            await self._run(length_s, tick_s)
        finally:
            if collecting:
                gc.enable()

    async def _run(self, length_s: float, tick_s: float) -> None:
        clock = SimClock(self.start, self.speed)
        self.sink.timed_by(clock)
        sims, offsets = self.sims, self.offsets
        # (the sim time of the home's next event, the home): a home not switched on yet is
        # due when it switches on. Sorted, so a heap already.
        due = [(offset - 1e-9, i) for i, offset in enumerate(offsets)]
        now = 0.0
        ticks = 0
        while now < length_s:
            target = clock.target()
            now = min(length_s, now + 60.0 if math.isinf(target) else target)
            stepped = 0
            while due and due[0][0] < now:  # what falls at `now` itself waits for the next tick
                _, i = due[0]
                sim, offset = sims[i], offsets[i]
                if i == self.switched_on:  # they switch on in order
                    sim.start()
                    self.switched_on += 1
                sim.advance(now - offset)
                # never before `now` again in this tick (an event at `now` itself, rounding)
                heapreplace(due, (max(now, offset + sim.env.peek()), i))
                stepped += 1
                if stepped % 64 == 0:
                    self.link.pump(0)
            self.link.pump(0)
            gc.collect(0)
            ticks += 1
            if ticks % 50 == 0:
                gc.freeze()
            await asyncio.sleep(0 if math.isinf(target) else tick_s)

    def close(self, timeout_s: float = 60.0) -> bool:
        """Every device offline; wait for the broker's acks; whether all came."""
        for sim in self.sims[: self.switched_on]:
            sim.shutdown()
        done = self.link.wait_published(timeout_s)
        self.link.close()
        return done
