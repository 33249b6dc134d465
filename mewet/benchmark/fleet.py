"""Fleets: many homes in one process, for companies that load-test their platform.

Home `k` of a fleet of `N` is the home file's home with the id `<home>-<k>` (numbered from 1,
zero-padded to the width of N) and the seed `k`, so a fleet is the same on every run and
`--shard i/n` splits it over processes or machines without two shards ever making the same
home: shard `i` takes the homes `k` with `(k - 1) % n == i - 1`.

All homes of a process share one broker connection (thousands of connections would cost the
broker more than the messages do) and one loop: every tick, each home runs up to the wall
clock's sim time, so a message leaves at most about a tick after its moment. The sink keeps
how late each message left (`lateness`), which is what `bench/fleet.py` reports.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from dataclasses import dataclass
from datetime import datetime

from mewet.config import Settings
from mewet.contract import Event, Message, Telemetry
from mewet.errors import ConfigError
from mewet.scenarios.homesim import HomeSim
from mewet.sim.clock import SimClock
from mewet.sim.home import Home
from mewet.transport.client import MqttLink

MAX_HOMES = 100_000
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
    """`homes` copies of a home (this shard's part of them), publishing through one sink."""

    def __init__(
        self,
        settings: Settings,
        home: Home,
        homes: int,
        start: datetime,
        shard: Shard = Shard(),
    ) -> None:
        if not 1 <= homes <= MAX_HOMES:
            raise ConfigError(f"--homes {homes}: from 1 to {MAX_HOMES}")
        self.start = start
        width = len(str(homes))
        self.link = MqttLink(
            settings.mqtt(),
            f"mewet-fleet-{home.id}-{shard.index}of{shard.count}-{time.monotonic_ns() % 10**6}",
            backlog=settings.publish_backlog,
        )
        self.sink = FleetSink(self.link)
        self.sims = [
            HomeSim(
                home.model_copy(update={"id": f"{home.id}-{k:0{width}d}"}),
                self.sink,
                k,
                start,
                settings.topic_root,
            )
            for k in shard.numbers(homes)
        ]

    def connect(self) -> Fleet:
        """Connect the shared link (TransportError when the broker is not there)."""
        self.link.connect()
        return self

    async def run(self, speed: float, length_s: float, tick_s: float = 0.5) -> None:
        """Every home live at `speed` for `length_s` sim seconds."""
        clock = SimClock(self.start, speed)
        self.sink.timed_by(clock)
        for sim in self.sims:
            sim.start()
        now = 0.0
        while now < length_s:
            target = clock.target()
            now = min(length_s, now + 60.0 if math.isinf(target) else target)
            for i, sim in enumerate(self.sims):
                if sim.env.peek() <= now:  # most homes have nothing due in a tick: no step
                    sim.run(now)
                if i % 64 == 0:
                    self.link.pump(0)
            await asyncio.sleep(0 if math.isinf(target) else tick_s)

    def close(self, timeout_s: float = 60.0) -> bool:
        """Every device offline; wait for the broker's acks; whether all came."""
        for sim in self.sims:
            sim.shutdown()
        done = self.link.wait_published(timeout_s)
        self.link.close()
        return done
